/**
 * A full run as processes — a rendezvous with the dashboard and debug logs in JSON, two users
 * registering, logging in, messaging directly and through the mailbox, an operator logging in
 * to the dashboard and acting — then every log line of every process is searched for the
 * password, the admin token, the session cookie, the CSRF token and the message plaintext.
 */
import assert from "node:assert/strict";
import { CSRF_HEADER } from "../../src/rendezvous/http/auth.ts";
import { childEnv, runTincan, spawnTincan, TEST_PASSWORD } from "./cli_process.ts";
import { waitFor, within } from "./harness.ts";

const PLAINTEXT = "meet me at the old mill at midnight";
const OFFLINE_PLAINTEXT = "the parcel is under the third stone";

Deno.test({
  name: "logs of a full run hold no password, token, cookie or plaintext",
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "tincan-redaction-" });
    const env = childEnv({ HOME: home, XDG_DATA_HOME: `${home}/data`, TINCAN_DEBUG: "1" });
    const rendezvous = spawnTincan([
      "rendezvous",
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--data",
      `${home}/rv`,
      "--http",
      "127.0.0.1:0",
      "--log-level",
      "debug",
      "--log-format",
      "json",
    ], env);
    const logs: string[] = [];
    let listener: ReturnType<typeof spawnTincan> | undefined;
    try {
      await waitFor("the rendezvous address", () => rendezvous.stdout().includes("/p2p/"), 30_000);
      const rv = rendezvous.stdout().split("\n")[0]!;
      const url = /dashboard at (http:\/\/\S+)\//.exec(rendezvous.stderr())![1]!;
      const token = /admin token \(shown once[^)]*\): ([0-9a-f]{64})/.exec(
        rendezvous.stderr(),
      )![1]!;
      const as = (user: string) => ["--user", user, "--profile", `${home}/${user}`];
      for (const user of ["alice", "bob"]) {
        const registered = await runTincan(["register", ...as(user), "--rendezvous", rv], env);
        assert.equal(registered.code, 0, registered.stderr);
        logs.push(registered.stderr);
      }
      listener = spawnTincan(["listen", ...as("bob"), "--json", "--count", "1"], env);
      await waitFor("bob to listen", () => listener!.stderr().includes("listening as bob"), 30_000);
      const sent = await runTincan(["send", ...as("alice"), "--to", "bob", PLAINTEXT], env);
      assert.equal(sent.code, 0, sent.stderr);
      logs.push(sent.stderr);
      assert.equal((await within("listen to exit", listener.status, 15_000)).code, 0);
      assert.match(listener.stdout(), new RegExp(PLAINTEXT));
      logs.push(listener.stderr());
      const queued = await runTincan(
        ["send", ...as("alice"), "--to", "bob", OFFLINE_PLAINTEXT],
        env,
      );
      assert.equal(queued.stdout, "queued\n", queued.stderr);
      logs.push(queued.stderr);
      const wrongPassword = await runTincan(
        ["send", ...as("bob"), "--to", "alice", "x"],
        { ...env, TINCAN_PASSWORD: "not the password" },
      );
      assert.equal(wrongPassword.code, 1);
      logs.push(wrongPassword.stderr);

      // The operator: a wrong token, the right one, a look and an action.
      const wrong = await fetch(`${url}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: "f".repeat(64) }),
      });
      await wrong.body?.cancel();
      const login = await fetch(`${url}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      const { csrf } = await login.json() as { csrf: string };
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      const session = cookie.split("=")[1]!;
      await (await fetch(`${url}/api/stats`, { headers: { cookie } })).body?.cancel();
      const disabled = await fetch(`${url}/api/users/alice/disable`, {
        method: "POST",
        headers: { cookie, [CSRF_HEADER]: csrf },
      });
      assert.equal(disabled.status, 200);
      const noCsrf = await fetch(`${url}/api/users/bob/disable`, {
        method: "POST",
        headers: { cookie },
      });
      assert.equal(noCsrf.status, 403);
      const refused = await runTincan(["send", ...as("alice"), "--to", "bob", "y"], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /disabled the account/);
      logs.push(refused.stderr);
      assert.equal((await rendezvous.kill("SIGTERM")).code, 0, rendezvous.stderr());

      // The rendezvous' log: JSON lines, but for the CLI's own lines (the token printed once).
      const rvLines = rendezvous.stderr().trim().split("\n");
      const printed = rvLines.filter((line) => line.startsWith("tincan: "));
      assert.equal(printed.filter((line) => line.includes(token)).length, 1);
      const records = rvLines.filter((line) => line.startsWith("{"));
      const other = rvLines.filter((line) => !line.startsWith("{") && !line.startsWith("tincan: "));
      // Deno's own notices (npm downloads on a cold cache) are the only other lines.
      assert.deepEqual(other.filter((line) => !line.startsWith("Download ")), []);
      assert.ok(records.length > 10, `too few log lines: ${records.length}`);
      for (const line of records) {
        const record = JSON.parse(line) as Record<string, unknown>;
        assert.deepEqual(Object.keys(record), ["time", "level", "scope", "message", "fields"]);
      }
      assert.ok(records.some((line) => /"level":"debug"/.test(line)), "debug lines were logged");
      assert.ok(records.some((line) => /logged in alice/.test(line)));
      logs.push(...rvLines.filter((line) => !printed.includes(line)));

      const all = logs.join("\n");
      for (
        const [what, secret] of [
          ["the password", TEST_PASSWORD],
          ["the wrong password", "not the password"],
          ["the admin token", token],
          ["the session cookie", session],
          ["the CSRF token", csrf],
          ["the message", PLAINTEXT],
          ["the mailed message", OFFLINE_PLAINTEXT],
        ] as const
      ) {
        assert.ok(!all.includes(secret), `${what} is in the logs`);
      }
    } finally {
      await listener?.kill();
      await rendezvous.kill();
      await Deno.remove(home, { recursive: true });
    }
  },
});
