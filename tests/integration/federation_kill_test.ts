/**
 * Federation across real `tincan rendezvous` processes: mail alice@home wrote for bob@work
 * survives a kill -9 of work (it waits at home), then a kill -9 of home right after home
 * acknowledged it (it was committed first), and reaches bob's mailbox at work exactly once when
 * both are back.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { newMessageId } from "../../src/crypto/envelope.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { ForwardState, MailboxRequest, MailboxStatus } from "../../src/proto/mailbox.ts";
import { askMailbox, depositAt, type NodePlan, planNode } from "./federation_helpers.ts";
import { clientNode, FAST, stopAll, waitFor } from "./harness.ts";
import { mailCount, testEnvelope } from "./mailbox_helpers.ts";
import { type RendezvousProcess, spawnRendezvous } from "./rendezvous_process.ts";

function start(plan: NodePlan, other: NodePlan): Promise<RendezvousProcess> {
  return spawnRendezvous(plan.dataDir, plan.port, plan.name, ["--federate", other.entry]);
}

/** The states in home's forwarding queue, read from its database file. */
function queueStates(plan: NodePlan): string[] {
  const db = new DatabaseSync(join(plan.dataDir, "rendezvous.db"), { readOnly: true });
  try {
    return (db.prepare("SELECT state FROM forward_queue ORDER BY id").all() as { state: string }[])
      .map((row) => row.state);
  } finally {
    db.close();
  }
}

Deno.test("federation: mail for bob@work survives kill -9 of work, then of home, and arrives once", async () => {
  const home = await planNode("home");
  const work = await planNode("work");
  let homeProcess = await start(home, work);
  let workProcess = await start(work, home);
  const bobKey = await generateKeyPair("Ed25519");
  const bob = await clientNode(bobKey);
  const aliceKey = await generateKeyPair("Ed25519");
  const aliceNode = await clientNode(aliceKey);
  try {
    await registerAccount(aliceNode, home.address, "alice", "pw-alice", FAST);
    await login(aliceNode, home.address, "alice", "pw-alice", FAST);
    await registerAccount(bob, work.address, "bob", "pw-bob", FAST);
    await bob.stop();

    assert.equal((await workProcess.kill("SIGKILL")).signal, "SIGKILL");
    const messageId = newMessageId();
    const envelope = await testEnvelope(aliceKey, bobKey.publicKey.raw, 64, messageId);
    const sent = await depositAt(aliceNode, home.address, "bob", "work", envelope);
    assert.equal(sent.status, MailboxStatus.OK, sent.statusText);
    assert.equal(sent.queuedFor, "work");

    assert.equal((await homeProcess.kill("SIGKILL")).signal, "SIGKILL");
    await aliceNode.stop();
    assert.deepEqual(queueStates(home), ["queued"], "the mail is on disk at home after the kill");

    homeProcess = await start(home, work);
    workProcess = await start(work, home);
    await waitFor(
      "the mail to reach bob's mailbox at work",
      () => mailCount(work.dataDir, "bob") === 1,
      30_000,
    );
    await waitFor("home to record it delivered", () => queueStates(home)[0] === "delivered");
    const again = await clientNode(aliceKey);
    await login(again, home.address, "alice", "pw-alice", FAST);
    const status = await askMailbox(again, home.address, {
      type: MailboxRequest.Type.FORWARD_STATUS,
      forwardQuery: { messageIds: [messageId] },
    });
    assert.equal(status.forwards[0]!.state, ForwardState.State.DELIVERED);
    await again.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(mailCount(work.dataDir, "bob"), 1, "delivered once");
  } finally {
    await stopAll(aliceNode, bob);
    await homeProcess.kill("SIGTERM").catch(() => {});
    await workProcess.kill("SIGTERM").catch(() => {});
    await Deno.remove(home.dataDir, { recursive: true });
    await Deno.remove(work.dataDir, { recursive: true });
  }
});
