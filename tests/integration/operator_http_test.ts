/**
 * The rendezvous' HTTP side against a real node: /healthz, /metrics (checked by promtool and by
 * value after known actions), the admin API's auth (token, cookie, CSRF), and the account
 * actions from the API and from `tincan admin` while the node runs.
 */
import assert from "node:assert/strict";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { parseExposition } from "../rendezvous/http/exposition_parser.ts";
import { configureLogging } from "../../src/log.ts";
import { runTincan } from "./cli_process.ts";
import {
  clientNode,
  FAST,
  loggedInClient,
  remoteError,
  stopAll,
  waitFor,
  withRendezvous,
} from "./harness.ts";
import {
  adminLogin,
  assertLoginDisabled,
  hasPromtool,
  promtoolCheck,
  withOperatorRendezvous,
} from "./operator_helpers.ts";

async function metrics(url: string): Promise<{ text: string; value: (name: string) => number }> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const { samples } = parseExposition(text);
  return {
    text,
    value: (name) => {
      const sample = samples.find((s) => s.name === `tincan_rendezvous_${name}`);
      assert.ok(sample, `no metric ${name}`);
      return sample.value;
    },
  };
}

Deno.test("operator HTTP: /healthz, and /metrics counts known actions and passes promtool", async () => {
  const { rendezvous, address, url } = await withOperatorRendezvous();
  const alice = await loggedInClient(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const mallory = await clientNode();
  try {
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok\n");
    await remoteError(login(mallory, address, "alice", "wrong", FAST), "E_LOGIN_FAILED");
    const m = await metrics(url);
    assert.equal(m.value("registrations_total"), 2);
    assert.equal(m.value("logins_ok_total"), 2);
    assert.equal(m.value("logins_failed_total"), 1);
    assert.equal(m.value("logged_in_users"), 2);
    assert.equal(m.value("accounts"), 2);
    assert.ok(m.value("connected_peers") >= 2);
    assert.ok(m.value("process_resident_memory_bytes") > 1_000_000);
    assert.ok(m.value("uptime_seconds") >= 0);
    assert.match(m.text, /^tincan_rendezvous_build_info\{version="[^"]+",name="test"\} 1$/m);
    // The relay's figures (no reservation asked for here).
    assert.equal(m.value("relay_reservations"), 0);
    assert.equal(m.value("relay_reservations_refused_total"), 0);
    assert.equal(m.value("relay_connections_total"), 0);
    assert.equal(m.value("relay_connections_refused_total"), 0);
    assert.equal(m.value("relay_bytes_total"), 0);
    // The federated node work (never running), one sample each, labelled with its name.
    assert.match(m.text, /^tincan_rendezvous_federation_link_up\{node="work"\} 0$/m);
    assert.match(m.text, /^tincan_rendezvous_federation_queued_forwards\{node="work"\} 0$/m);
    assert.match(m.text, /^tincan_rendezvous_federation_node_refused_total\{node="work"\} 0$/m);
    assert.equal(m.value("federation_refused_total"), 0);
    if (await hasPromtool()) {
      const check = await promtoolCheck(m.text);
      assert.equal(check.code, 0, `promtool check metrics: ${check.output}`);
    } else {
      // deno-lint-ignore no-console
      console.log("promtool is not installed (Debian package prometheus): promtool check skipped");
    }
  } finally {
    await stopAll(alice, bob, mallory, rendezvous);
  }
});

Deno.test("operator HTTP: the API needs the token's session, and a POST its CSRF token", async () => {
  const { rendezvous, url, token } = await withOperatorRendezvous();
  try {
    assert.equal((await fetch(`${url}/api/stats`)).status, 401);
    const wrong = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "0".repeat(64) }),
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { error: "Wrong admin token" });
    const form = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${token}`,
    });
    assert.equal(form.status, 403, "a form post (cross-site capable) is refused");
    await form.body?.cancel();
    const foreign = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ token }),
    });
    assert.equal(foreign.status, 403, "a login from another origin is refused");
    await foreign.body?.cancel();

    const admin = await adminLogin(url, token);
    assert.match(admin.cookie, /HttpOnly/);
    assert.match(admin.cookie, /SameSite=Strict/);
    assert.doesNotMatch(admin.cookie, /Secure/, "plain HTTP on loopback: no Secure flag");
    const stats = await admin.call("GET", "/api/stats");
    assert.equal(stats.status, 200);
    assert.match(stats.headers.get("content-security-policy")!, /default-src 'none'/);
    const body = await stats.json() as {
      node: { peerId: string; announce: string[] };
      relay: { reservations: number; relayedBytes: number } | null;
    };
    assert.equal(body.node.peerId, rendezvous.node.peerId.toString());
    assert.deepEqual(body.node.announce, []);
    assert.deepEqual([body.relay?.reservations, body.relay?.relayedBytes], [0, 0]);
    const proxied = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      body: JSON.stringify({ token }),
    });
    assert.match(proxied.headers.getSetCookie()[0]!, /; Secure/, "behind a TLS proxy: Secure");
    await proxied.body?.cancel();
    const noCsrf = await admin.call("POST", "/api/users/alice/disable", { csrf: false });
    assert.equal(noCsrf.status, 403);
    assert.deepEqual(await noCsrf.json(), { error: "missing or wrong CSRF token" });
    const audit = await (await admin.call("GET", "/api/audit")).json() as {
      audit: { action: string; outcome: string }[];
    };
    assert.deepEqual(audit.audit.map((a) => [a.action, a.outcome]), [
      ["login", "ok"],
      ["login", "ok"],
      ["login", "Wrong admin token"],
    ]);
  } finally {
    await stopAll(rendezvous);
  }
});

Deno.test("operator HTTP: disable closes the session and refuses the next login; delete cools the name off", async () => {
  const { rendezvous, address, url, token } = await withOperatorRendezvous();
  const bob = await loggedInClient(address, "bob");
  const carol = await loggedInClient(address, "carol");
  try {
    const admin = await adminLogin(url, token);
    const res = await admin.call("POST", "/api/users/bob/disable");
    assert.equal(res.status, 200);
    await waitFor(
      "bob's session to close",
      () => rendezvous.loggedIn.byUsername("bob") === undefined,
      2000,
    );
    await assertLoginDisabled(bob, address, "bob");
    assert.equal((await metrics(url)).value("logins_disabled_total"), 1);
    assert.equal((await admin.call("POST", "/api/users/bob/enable")).status, 200);
    await login(bob, address, "bob", "pw-bob", FAST);

    assert.equal((await admin.call("POST", "/api/users/carol/delete")).status, 200);
    await waitFor(
      "carol's session to close",
      () => rendezvous.loggedIn.byUsername("carol") === undefined,
      2000,
    );
    const again = await clientNode();
    try {
      const taken = await remoteError(
        registerAccount(again, address, "carol", "new", FAST),
        "E_USERNAME_TAKEN",
      );
      assert.match(taken.message, /carol was deleted recently; it can be registered again after/);
    } finally {
      await stopAll(again);
    }
    const unknown = await admin.call("POST", "/api/users/nobody/disable");
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { error: "Cannot disable nobody: no account nobody" });
  } finally {
    await stopAll(bob, carol, rendezvous);
  }
});

Deno.test("tincan admin: works on the database of a running node, which closes the session", async () => {
  const { rendezvous, address, dataDir } = await withOperatorRendezvous();
  const dave = await loggedInClient(address, "dave");
  try {
    const users = await runTincan(["admin", "--data", dataDir, "users"]);
    assert.equal(users.code, 0, users.stderr);
    assert.match(users.stdout, /^dave\s+active\s+\d{4}-\d\d-\d\d\s+0\s+0\s+0\s+0$/m);
    const disabled = await runTincan(["admin", "--data", dataDir, "disable", "dave"]);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(disabled.stdout.trim(), "disabled dave");
    await waitFor(
      "dave's session to close",
      () => rendezvous.loggedIn.byUsername("dave") === undefined,
      2000,
    );
    // Dave's end too: a login dialled on the connection the rendezvous is closing reads EOF.
    await waitFor(
      "dave to see his connection closed",
      () => dave.getConnections().length === 0,
      5000,
    );
    await assertLoginDisabled(dave, address, "dave");
    const keylog = await runTincan(["admin", "--data", dataDir, "keylog", "dave"]);
    assert.equal(keylog.code, 0, keylog.stderr);
    assert.match(keylog.stdout, new RegExp(`^#0 ${dave.peerId} [0-9a-f]{64}$`, "m"));
    const missing = await runTincan(["admin", "--data", dataDir, "enable", "nobody"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Cannot enable nobody: no account nobody/);
    const nowhere = await runTincan(["admin", "--data", `${dataDir}/nope`, "users"]);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /holds no rendezvous database/);
  } finally {
    await stopAll(dave, rendezvous);
  }
});

Deno.test("operator HTTP: throttled keys are listed, and clearing one lets logins in again", async () => {
  const { rendezvous, address, url, token } = await withOperatorRendezvous();
  const grace = await loggedInClient(address, "grace");
  const guesser = await clientNode();
  try {
    for (let i = 0; i < 5; i++) {
      await remoteError(login(guesser, address, "grace", `guess${i}`, FAST), "E_LOGIN_FAILED");
    }
    await remoteError(login(grace, address, "grace", "pw-grace", FAST), "E_THROTTLED");
    const admin = await adminLogin(url, token);
    const stats = await (await admin.call("GET", "/api/stats")).json() as {
      throttles: { key: string; failures: number }[];
    };
    // Five failures of one address against one user block that pair (account_throttle.ts).
    assert.deepEqual(stats.throttles.map((t) => [t.key, t.failures]), [
      ["pair:grace@127.0.0.1", 5],
    ]);
    assert.equal((await metrics(url)).value("throttled_keys"), 1);
    assert.equal((await metrics(url)).value("logins_throttled_total"), 1);
    const key = "pair:grace@127.0.0.1";
    const cleared = await admin.call("POST", "/api/throttles/clear", { json: { key } });
    assert.deepEqual(await cleared.json(), { ok: true });
    await login(grace, address, "grace", "pw-grace", FAST);
  } finally {
    await stopAll(grace, guesser, rendezvous);
  }
});

Deno.test("operator HTTP: a taken address fails the start, and nothing is left running", async () => {
  const first = await withOperatorRendezvous();
  try {
    const port = Number(new URL(first.url).port);
    await assert.rejects(
      withRendezvous({ http: { hostname: "127.0.0.1", port } }),
      Deno.errors.AddrInUse,
    );
  } finally {
    await stopAll(first.rendezvous);
  }
});

Deno.test("operator HTTP: bound beyond loopback without TLS, the start warns", async () => {
  const lines: string[] = [];
  configureLogging("warn", { write: (line) => lines.push(line) });
  try {
    const { rendezvous } = await withRendezvous({ http: { hostname: "0.0.0.0", port: 0 } });
    await stopAll(rendezvous);
  } finally {
    configureLogging("error");
  }
  assert.ok(
    lines.some((line) => /without TLS: .* put it behind a TLS reverse proxy/.test(line)),
    lines.join("\n"),
  );
});
