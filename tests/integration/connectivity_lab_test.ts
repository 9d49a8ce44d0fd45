/**
 * Connectivity across real networks, in the namespace lab (netlab.ts): a rendezvous and a peer on
 * the lab's public internet, two peers behind different NAT66 home routers, all real `tincan`
 * processes. Asserts delivery, how each message was carried (`via`), `/route` and `tincan route`,
 * the DCUtR upgrade, the relay's refusal of a peer that is not logged in, a relayed chat that
 * outlives the relay's per-connection limits, and a rendezvous restart in the middle — nothing
 * lost. Prints the measured figures (first-message time, dial times) for the README.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  childEnv,
  PERMISSIONS,
  type RunningTincan,
  runTincan,
  spawnTincan,
} from "./cli_process.ts";
import { waitFor } from "./harness.ts";
import { createNetLab, type LabHost, netlabUnavailable } from "./netlab.ts";

const unavailable = await netlabUnavailable();
// deno-lint-ignore no-console -- the skip reason belongs in the test output
if (unavailable) console.log(`connectivity lab tests skipped: ${unavailable}`);

/** Generous: processes start slowly on a loaded machine (Deno start-up, Argon2 at login). */
const START_MS = 60_000;

/** Prints the step the test is at (a hang is then easy to place). */
function step(text: string): void {
  // deno-lint-ignore no-console -- progress belongs in the test output
  console.log(`connectivity step: ${text}`);
}

/** Prints a measured figure in the test output. */
function figure(text: string): void {
  // deno-lint-ignore no-console -- the figures belong in the test output
  console.log(`connectivity figure: ${text}`);
}

Deno.test({
  name: "connectivity lab: relayed NAT↔NAT, public↔NAT upgraded by DCUtR, /route, limits, restart",
  ignore: unavailable !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lab = await createNetLab();
    const running: { name: string; child: RunningTincan }[] = [];
    const dirs: string[] = [];
    const tempDir = async () => {
      const dir = await Deno.makeTempDir({ prefix: "tincan-lab-" });
      dirs.push(dir);
      return dir;
    };
    const env = childEnv();
    const spawnIn = (host: LabHost, args: string[], stdin = false) => {
      const child = spawnTincan(args, env, {
        stdin,
        within: (argv) => lab.exec(host, argv),
      });
      running.push({ name: `${args[0]} ${args[2] ?? ""}`, child });
      return child;
    };
    const runIn = (host: LabHost, args: string[]) =>
      runTincan(args, env, { within: (argv) => lab.exec(host, argv) });
    try {
      const rvHost = await lab.publicHost("rv", 0x10);
      const pubHost = await lab.publicHost("pub", 0x20);
      const aHost = await lab.natHost("a", 0x31);
      const bHost = await lab.natHost("b", 0x32);
      const rvData = await tempDir();
      const rvArgs = (extra: string[]) => [
        "rendezvous",
        "--listen",
        "/ip6/::/tcp/4001",
        "--announce",
        `/ip6/${rvHost.address}/tcp/4001`,
        "--data",
        rvData,
        "--name",
        "home",
        ...extra,
      ];
      let rv = spawnIn(rvHost, rvArgs([]));
      await waitFor(
        "the rendezvous to print its address",
        () => rv.stdout().includes("/p2p/"),
        START_MS,
      );
      const rvAddress = rv.stdout().trim().split("\n")[0]!;
      assert.match(rvAddress, new RegExp(`^/ip6/${rvHost.address}/tcp/4001/p2p/`), "announced");

      const profiles: Record<string, string> = {};
      const as = (user: string) => [
        "--user",
        user,
        "--profile",
        profiles[user]!,
        "--rendezvous",
        rvAddress,
      ];
      // carol shares alice's NAT: her `tincan route` does not replace alice's running chat.
      const hostOf: Record<string, LabHost> = {
        alice: aHost,
        bob: bHost,
        pat: pubHost,
        carol: aHost,
      };
      for (const user of ["alice", "bob", "pat", "carol"]) {
        profiles[user] = join(await tempDir(), user);
        const reg = await runIn(hostOf[user]!, ["register", ...as(user)]);
        assert.equal(reg.code, 0, reg.stderr);
      }

      step("a peer that is not logged in asks for a reservation");
      // A peer that is not logged in is refused a reservation (PERMISSION_DENIED).
      const [probeExe, ...probeArgs] = lab.exec(aHost, [
        Deno.execPath(),
        "run",
        ...PERMISSIONS,
        join(import.meta.dirname!, "relay_probe.ts"),
        rvAddress,
      ]);
      const probe = await new Deno.Command(probeExe!, { args: probeArgs, stdin: "null" }).output();
      const probeOut = new TextDecoder().decode(probe.stdout).trim();
      assert.match(
        probeOut,
        /^refused: .*PERMISSION_DENIED/,
        new TextDecoder().decode(probe.stderr),
      );

      step("NAT↔NAT: alice to bob");
      // bob listens behind NAT b; alice chats from behind NAT a: the relay carries it.
      const bob = spawnIn(bHost, ["listen", ...as("bob"), "--json"]);
      await waitFor("bob to listen", () => bob.stderr().includes("listening as bob"), START_MS);
      const bobLines = () =>
        bob.stdout().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const alice = spawnIn(aHost, ["chat", ...as("alice")], true);
      await waitFor(
        "alice to log in",
        () => alice.stdout().includes("Logged in as alice"),
        START_MS,
      );
      const sent: string[] = [];
      const say = async (chat: RunningTincan, to: string, text: string) => {
        sent.push(text);
        const before = chat.stdout().split(`✓ delivered to ${to}`).length;
        const t0 = performance.now();
        await chat.type(`/msg ${to} ${text}`);
        await waitFor(
          `"${text}" delivered`,
          () => chat.stdout().split(`✓ delivered to ${to}`).length > before,
          30_000,
        );
        return performance.now() - t0;
      };
      const shownMs = await (async () => {
        const t0 = performance.now();
        await alice.type("/msg bob hello through two NATs");
        sent.push("hello through two NATs");
        await waitFor("bob to see alice's message", () => bobLines().length >= 1, 30_000);
        return performance.now() - t0;
      })();
      figure(`first message NAT→NAT (relayed), typed to shown: ${Math.round(shownMs)} ms`);
      assert.equal(bobLines()[0].via, "relayed");
      await waitFor(
        "alice's delivery line",
        () => alice.stdout().includes("✓ delivered to bob (relayed)"),
        30_000,
      );
      const second = await say(alice, "bob", "and a second one");
      figure(
        `relayed message to an online NATed user, typed to delivered: ${Math.round(second)} ms`,
      );
      assert.ok(bobLines().every((m) => m.via === "relayed"));

      step("/route and tincan route");
      // /route in the chat and `tincan route` agree: relayed via home.
      await alice.type("/route bob");
      await waitFor("alice's /route", () => /bob: relayed via home/.test(alice.stdout()), 30_000);
      const routeLine = alice.stdout().split("\n").find((l) =>
        l.startsWith("  relayed via home: ok")
      );
      assert.ok(routeLine, alice.stdout());
      figure(`/route NAT→NAT: ${routeLine.trim()}`);
      const route = await runIn(aHost, ["route", ...as("carol"), "--to", "bob", "--json"]);
      assert.equal(route.code, 0, route.stderr);
      const report = JSON.parse(route.stdout);
      assert.equal(report.carrier, "relayed");
      assert.match(report.address, /\/p2p-circuit\//);

      step("public↔NAT: pat to bob, then DCUtR");
      // pat, on the public internet, chats with bob: relayed first, then DCUtR makes it direct.
      const pat = spawnIn(pubHost, ["chat", ...as("pat")], true);
      await waitFor("pat to log in", () => pat.stdout().includes("Logged in as pat"), START_MS);
      await say(pat, "bob", "hi bob, from the internet");
      await waitFor(
        "the upgrade notice",
        () => pat.stdout().includes("the chat with bob is now direct"),
        30_000,
      );
      assert.equal(pat.stdout().split("the chat with bob is now direct").length, 2, "said once");
      await pat.type("/route bob");
      await waitFor("pat's /route", () => /bob: direct over TCP/.test(pat.stdout()), 30_000);
      await say(pat, "bob", "now directly");
      await waitFor(
        "pat's direct delivery",
        () => pat.stdout().includes("✓ delivered to bob (direct)"),
        30_000,
      );
      await waitFor(
        "bob to see pat's messages",
        () => bobLines().filter((m) => m.from === "pat").length === 2,
        30_000,
      );
      assert.deepEqual(bobLines().filter((m) => m.from === "pat").map((m) => m.via), [
        "relayed",
        "direct",
      ]);

      step("the rendezvous restarts");
      // The rendezvous restarts, now with small relay limits (3 s, 16 KiB per relayed
      // connection — the library's defaults are 2 min / 128 KiB, tincan's 24 h / 64 MiB).
      await rv.kill();
      rv = spawnIn(rvHost, rvArgs(["--relay-duration", "3", "--relay-data", "16KiB"]));
      await waitFor("the rendezvous back", () => rv.stdout().includes("/p2p/"), START_MS);
      await waitFor(
        "bob back",
        () => bob.stderr().includes("reconnected to the rendezvous"),
        START_MS,
      );
      await waitFor(
        "alice back",
        () => alice.stdout().includes("reconnected to the rendezvous"),
        START_MS,
      );
      await say(alice, "bob", "after the restart");

      step("a relayed chat past the relay limits");
      // A relayed chat outlives the relay's limits: the relay closes the connection at 3 s or
      // 16 KiB, and tincan dials again; every message arrives, none twice.
      const big = "x".repeat(6000);
      for (let i = 0; i < 4; i++) await say(alice, "bob", `big ${i} ${big}`);
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      await say(alice, "bob", "past the duration limit");
      await waitFor("bob to get everything", () => bobLines().length === sent.length, 30_000);
      const texts = bobLines().map((m) => m.text);
      assert.deepEqual([...texts].sort(), [...sent].sort(), "nothing lost, nothing twice");
      assert.ok(bobLines().filter((m) => m.from === "alice").every((m) => m.via === "relayed"));
    } catch (err: unknown) {
      for (const { name, child } of running) {
        step(`${name} stdout: ${child.stdout().replace(/x{100,}/g, "x…").slice(-3000)}`);
        step(`${name} stderr: ${child.stderr().slice(-3000)}`);
      }
      throw err;
    } finally {
      for (const { child } of running) await child.kill().catch(() => {});
      await lab.close();
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
