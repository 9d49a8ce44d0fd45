/**
 * Peers across real `tincan rendezvous` processes killed with SIGKILL: alice@home's message for
 * bob@work waits at home while work is down ("queued for work"), survives a kill -9 of home right
 * after home accepted it, and once both are back reaches bob exactly once, with the receipt back
 * to alice.
 */
import assert from "node:assert/strict";
import { type NodePlan, planNode } from "./federation_helpers.ts";
import { stopAll } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";
import { type RendezvousProcess, spawnRendezvous } from "./rendezvous_process.ts";

function start(plan: NodePlan, other: NodePlan): Promise<RendezvousProcess> {
  return spawnRendezvous(plan.dataDir, plan.port, plan.name, ["--federate", other.entry]);
}

Deno.test("federation peers: kill -9 of work while mail waits at home, then of home: delivered once", async () => {
  const home = await planNode("home");
  const work = await planNode("work");
  let homeProcess = await start(home, work);
  let workProcess = await start(work, home);
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  const alice = await startPeer(home.address, "alice", { forwardPollMs: 200 });
  let bob: TestPeer | undefined = await startPeer(work.address, "bob", { profileDir: bobDir });
  try {
    const first = await alice.peer.send("bob@work", "first");
    await bob.next("message", (m) => m.id === first);
    await alice.next("delivered", (d) => d.id === first);
    await bob.stop();
    bob = undefined;

    assert.equal((await workProcess.kill("SIGKILL")).signal, "SIGKILL");
    const id = await alice.peer.send("bob@work", "survives both kills");
    const queued = await alice.next("queued", (q) => q.id === id, 30_000);
    assert.equal(queued.queuedFor, "work", "home holds it: 'queued for work'");
    assert.equal((await homeProcess.kill("SIGKILL")).signal, "SIGKILL");

    homeProcess = await start(home, work);
    workProcess = await start(work, home);
    await alice.next("forwarded", (f) => f.id === id, 60_000);
    bob = await startPeer(work.address, "bob", { profileDir: bobDir });
    const got = await bob.next("message", (m) => m.id === id, 30_000);
    assert.equal(got.from, "alice@home");
    await alice.next("delivered", (d) => d.id === id, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(
      bob.events.filter((e) => e.type === "message" && e.id === id).length,
      1,
      "no duplicate on bob's screen",
    );
  } finally {
    await stopAll(alice, bob);
    await homeProcess.kill("SIGTERM").catch(() => {});
    await workProcess.kill("SIGTERM").catch(() => {});
    await Deno.remove(home.dataDir, { recursive: true });
    await Deno.remove(work.dataDir, { recursive: true });
  }
});
