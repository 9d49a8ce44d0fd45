/**
 * Liveness without libp2p's 4-second pings: a peer whose process is frozen (SIGSTOP: its TCP
 * connections stay open, nothing is closed or reset) is shown offline to those who follow it
 * within PRESENCE_HEARTBEAT.silenceMs plus scheduling (the README's bound: 30 s), by the
 * presence heartbeat alone; the follower's chat link to it is dropped then, and a message sent
 * to it afterwards is queued in its mailbox instead of waiting on the dead link. And the other
 * way: a frozen rendezvous is found by its peers when a heartbeat goes unanswered, within the
 * longest pause between heartbeats plus PRESENCE_HEARTBEAT.replyTimeoutMs (the README's bound:
 * 35 s).
 */
import assert from "node:assert/strict";
import { PRESENCE_HEARTBEAT } from "../../src/protocol/limits.ts";
import { childEnv, runTincan, spawnTincan } from "./cli_process.ts";
import { stopAll, waitFor, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";
import { spawnRendezvous } from "./rendezvous_process.ts";

/** The bound the README states for showing a silently dropped peer offline. */
const DOCUMENTED_BOUND_MS = 30_000;
/** The bound the README states for a peer to find its rendezvous gone silent. */
const DOCUMENTED_RENDEZVOUS_BOUND_MS = 35_000;
/** Slack for a loaded test machine (two cores shared by several suites). */
const SLACK_MS = 5_000;

Deno.test({
  name: "liveness: a frozen (SIGSTOPped) peer process is offline to its followers within 30 s",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { rendezvous, address } = await withRendezvous();
    const home = await Deno.makeTempDir({ prefix: "tincan-liveness-" });
    const env = childEnv({ HOME: home, XDG_DATA_HOME: `${home}/data` });
    const bobArgs = ["--user", "bob", "--profile", `${home}/bob`];
    let bob: ReturnType<typeof spawnTincan> | undefined;
    let alice: TestPeer | undefined;
    try {
      const registered = await runTincan(
        ["register", ...bobArgs, "--rendezvous", address.toString()],
        env,
      );
      assert.equal(registered.code, 0, registered.stderr);
      bob = spawnTincan(["listen", ...bobArgs], env);
      await waitFor("bob to listen", () => bob!.stderr().includes("listening as bob"), 30_000);
      alice = await startPeer(address, "alice");
      await alice.peer.follow(["bob"]);
      assert.deepEqual(alice.peer.online(), ["bob"], "following bob: he is online");
      const first = await alice.peer.send("bob", "are you there?");
      await alice.next("delivered", (d) => d.id === first && d.via === "direct", 30_000);

      const bobPeerId = rendezvous.loggedIn.byUsername("bob")!.peerId;
      const stoppedAt = Date.now();
      Deno.kill(bob.pid, "SIGSTOP");
      await alice.next(
        "presence",
        (p) => p.username === "bob" && !p.online,
        DOCUMENTED_BOUND_MS + SLACK_MS,
      );
      const elapsed = Date.now() - stoppedAt;
      // deno-lint-ignore no-console -- the measured figure belongs in the test output (README)
      console.log(
        `liveness figure: a SIGSTOPped peer was shown offline after ${
          (elapsed / 1000).toFixed(1)
        } s ` +
          `(rendezvous silence limit ${PRESENCE_HEARTBEAT.silenceMs / 1000} s)`,
      );
      assert.ok(
        elapsed <= DOCUMENTED_BOUND_MS + SLACK_MS,
        `offline after ${elapsed} ms, beyond the documented ${DOCUMENTED_BOUND_MS} ms`,
      );
      assert.equal(rendezvous.loggedIn.byUsername("bob"), undefined, "bob's login ended");
      await waitFor(
        "alice's link to bob to be dropped",
        () => alice!.peer.node.getConnections().every((c) => c.remotePeer.toString() !== bobPeerId),
        10_000,
      );
      const second = await alice.peer.send("bob", "I will wait");
      await alice.next("queued", (q) => q.id === second, 30_000);
    } finally {
      if (bob) await bob.kill("SIGKILL"); // a stopped process dies of SIGKILL too
      await stopAll(alice, rendezvous);
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "liveness: a frozen (SIGSTOPped) rendezvous is found gone by its peer within 35 s",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "tincan-liveness-rv-" });
    const rendezvous = await spawnRendezvous(dataDir, 0, "frozen");
    let alice: TestPeer | undefined;
    try {
      alice = await startPeer(rendezvous.address, "alice");
      await alice.peer.follow(["bob"]);
      const stoppedAt = Date.now();
      Deno.kill(rendezvous.pid, "SIGSTOP");
      await alice.next(
        "notice",
        (n) => n.rendezvous === "lost",
        DOCUMENTED_RENDEZVOUS_BOUND_MS + SLACK_MS,
      );
      const elapsed = Date.now() - stoppedAt;
      // deno-lint-ignore no-console -- the measured figure belongs in the test output (README)
      console.log(
        `liveness figure: a SIGSTOPped rendezvous was found gone after ${
          (elapsed / 1000).toFixed(1)
        } s (a heartbeat every ${PRESENCE_HEARTBEAT.maxIntervalMs / 1000} s at most, answered ` +
          `within ${PRESENCE_HEARTBEAT.replyTimeoutMs / 1000} s)`,
      );
    } finally {
      await rendezvous.kill("SIGKILL"); // a stopped process dies of SIGKILL too
      await stopAll(alice);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
