import assert from "node:assert/strict";
import { toHex } from "../../../src/crypto/bytes.ts";
import { newMessageId } from "../../../src/crypto/envelope.ts";
import { logger } from "../../../src/log.ts";
import { ForwardWatch } from "../../../src/peer/federation/forward_watch.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { OutboxStore } from "../../../src/peer/store/outbox.ts";
import { ForwardState, MailboxStatus } from "../../../src/proto/mailbox.ts";
import { openDatabase } from "../../../src/store/database.ts";

const NOW = 1_700_000_000_000;

function state(messageId: Uint8Array, overrides: Partial<ForwardState>): ForwardState {
  return {
    messageId,
    state: ForwardState.State.QUEUED,
    server: "work",
    recipient: "bob",
    status: MailboxStatus.OK,
    statusText: "",
    retryAfterMs: 0n,
    attempts: 1,
    ...overrides,
  };
}

Deno.test("forward watch: each queued remote message becomes forwarded, failed or retried", async () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const outbox = new OutboxStore(db);
  const ids = [newMessageId(), newMessageId(), newMessageId(), newMessageId()];
  for (const [i, messageId] of ids.entries()) {
    outbox.add({
      messageId,
      recipient: i === 3 ? "carol" : "bob@work", // carol is local: not asked about
      body: new Uint8Array(1),
      status: "pending",
      createdAt: NOW,
    });
    outbox.queue(messageId, NOW);
  }
  const asked: string[][] = [];
  const seen: string[] = [];
  let answers = (messageIds: readonly Uint8Array[]) =>
    messageIds.map((id) =>
      state(id, toHex(id) === toHex(ids[0]!) ? { state: ForwardState.State.DELIVERED } : {})
    );
  const watch = new ForwardWatch({
    outbox,
    status: (messageIds) => {
      asked.push(messageIds.map(toHex));
      return Promise.resolve(answers(messageIds));
    },
    forwarded: (id, to, server) => seen.push(`forwarded ${id === toHex(ids[0]!)} ${to} ${server}`),
    failed: (id, _to, reason) => seen.push(`failed ${id === toHex(ids[1]!)} ${reason}`),
    retry: (to, afterMs) => seen.push(`retry ${to} ${afterMs}`),
    now: () => NOW,
    log: logger("test"),
    intervalMs: 10,
  });
  try {
    watch.poke();
    await waitUntil(() => seen.length === 1);
    assert.deepEqual(seen, ["forwarded true bob@work work"]);
    answers = (messageIds) =>
      messageIds.map((id) =>
        toHex(id) === toHex(ids[1]!)
          ? state(id, {
            state: ForwardState.State.FAILED,
            status: MailboxStatus.E_NOT_FOUND,
            statusText: "work refused: no user bob",
          })
          : state(id, {
            state: ForwardState.State.FAILED,
            status: MailboxStatus.E_REMOTE_QUOTA,
            retryAfterMs: 5000n,
          })
      );
    await waitUntil(() => seen.length === 3);
    assert.deepEqual(seen.slice(1), [
      "failed true work refused it: work refused: no user bob",
      "retry bob@work 5000",
    ]);
    assert.equal(outbox.get(ids[1]!)?.status, "failed");
    assert.equal(outbox.get(ids[2]!)?.status, "sent", "deposited again by the next flush");
    assert.equal(asked[0]!.length, 3, "the local message is not asked about");
    assert.equal(
      asked.filter((round) => round.includes(toHex(ids[0]!))).length,
      1,
      "the forwarded one is not asked about again",
    );
    const rounds = asked.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(asked.length, rounds, "nothing is left to ask about: polling stops");
  } finally {
    watch.stop();
    db.close();
  }
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), "timed out");
}
