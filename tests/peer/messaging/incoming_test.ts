/**
 * Incoming end to end on in-memory SQLite: alice's real encryptor seals envelopes for bob, bob's
 * Incoming judges, decrypts and commits them; the directory and alice's outbox are fakes.
 */
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../../src/crypto/bytes.ts";
import { newMessageId } from "../../../src/crypto/envelope.ts";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import type { PeerEvent } from "../../../src/peer/events.ts";
import { Ack } from "../../../src/proto/chat.ts";
import type { DatabaseSync } from "node:sqlite";

import { NOW, setup } from "./incoming_world.ts";

Deno.test("incoming: a first message is certified, stored, then acknowledged; a resend is acked again", async () => {
  const t = await setup();
  const { id, envelope } = await t.seal("hello bob");
  const ack = await t.incoming.onEnvelope(envelope, t.alicePeer);
  assert.equal(ack.result, Ack.Result.DELIVERED);
  assert.equal(toHex(ack.messageId), id);
  assert.deepEqual(t.certifications, ["alice"], "the unknown key was certified once");
  // Acknowledged means stored: the history, the seen id and the session are committed.
  assert.equal(t.bob.history.seen(t.aliceKey, fromHex(id)), true);
  assert.equal(t.bob.history.recent("alice", 10).length, 1);
  assert.equal(t.bob.ownKeys.get(PrekeyKind.OneTime, t.oneTime.id), undefined);
  assert.equal(t.events.length, 1);
  assert.equal(t.events[0]?.type === "message" && t.events[0].text, "hello bob");

  const again = await t.incoming.onEnvelope(envelope, t.alicePeer);
  assert.equal(again.result, Ack.Result.DELIVERED);
  assert.equal(t.events.length, 1, "a duplicate is not shown twice");

  const next = await t.seal("and again");
  assert.equal(
    (await t.incoming.onEnvelope(next.envelope, t.alicePeer)).result,
    Ack.Result.DELIVERED,
  );
  assert.deepEqual(t.certifications, ["alice"], "the pinned key needs no lookup");
});

Deno.test("incoming: the same envelope on two streams at once is stored once", async () => {
  const t = await setup();
  const { envelope } = await t.seal("once");
  const acks = await Promise.all([
    t.incoming.onEnvelope(envelope, t.alicePeer),
    t.incoming.onEnvelope(envelope, t.alicePeer),
  ]);
  assert.deepEqual(acks.map((a) => a.result), [Ack.Result.DELIVERED, Ack.Result.DELIVERED]);
  assert.equal(t.events.length, 1);
});

Deno.test("incoming: a changed key is accepted but holds our messages; a blocked one is rejected", async () => {
  const changed = await setup({ standing: "changed" });
  const first = await changed.seal("new device");
  const ack = await changed.incoming.onEnvelope(first.envelope, changed.alicePeer);
  assert.equal(ack.result, Ack.Result.DELIVERED);
  assert.deepEqual(changed.reports, ["key-changed alice false"]);
  assert.equal(changed.events[0]?.type === "message" && changed.events[0].keyChanged, true);

  const blocked = await setup({ standing: "blocked" });
  const second = await blocked.seal("let me in");
  const refused = await blocked.incoming.onEnvelope(second.envelope, blocked.alicePeer);
  assert.equal(refused.result, Ack.Result.REJECTED);
  assert.match(refused.reason, /verified and its key changed: blocked/);
  assert.equal(
    blocked.bob.history.seen(blocked.aliceKey, fromHex(second.id)),
    false,
    "nothing stored",
  );
  assert.deepEqual(blocked.reports, ["key-changed alice true"]);
});

Deno.test("incoming: content of a kind no service handles is rejected, never dropped silently", async () => {
  const handled: string[] = [];
  const t = await setup({ handlers: [["test/kind", (m) => void handled.push(m.id)]] });
  const known = await t.seal("", "test/kind", Uint8Array.of(1));
  assert.equal(
    (await t.incoming.onEnvelope(known.envelope, t.alicePeer)).result,
    Ack.Result.DELIVERED,
  );
  assert.deepEqual(handled, [known.id]);
  const unknown = await t.seal("", "test/other", Uint8Array.of(1));
  const ack = await t.incoming.onEnvelope(unknown.envelope, t.alicePeer);
  assert.equal(ack.result, Ack.Result.REJECTED);
  assert.match(ack.reason, /does not handle "test\/other"/);
  assert.equal(t.bob.history.seen(t.aliceKey, fromHex(unknown.id)), false);
});

Deno.test("incoming: mail is judged the same way and reports its sender for the receipt", async () => {
  const t = await setup();
  const { id, envelope } = await t.seal("while you were away");
  const outcome = await t.incoming.onMail(envelope);
  assert.equal(outcome.delivered, true);
  assert.equal(outcome.from, "alice");
  assert.equal(outcome.messageId && toHex(outcome.messageId), id);
  assert.equal(t.events[0]?.type === "message" && t.events[0].via, "mailbox");
  // Fetched again (its receipt was lost): delivered again, for the receipt, and not shown twice.
  const again = await t.incoming.onMail(envelope);
  assert.deepEqual([again.delivered, again.from], [true, "alice"]);
  assert.equal(again.messageId && toHex(again.messageId), id);
  assert.equal(t.events.length, 1);
  const garbage = await t.incoming.onMail(Uint8Array.of(1, 2, 3));
  assert.equal(garbage.delivered, false);
});

Deno.test("incoming: another sender cannot suppress alice's message by sending its id first", async () => {
  const t = await setup();
  const mallory = await t.sender("mallory");
  // Mallory (a rendezvous that saw alice's mail, or anyone who learnt the id) sends first.
  const id = newMessageId();
  const decoy = await mallory.seal("decoy", "", new Uint8Array(0), id);
  const decoyAck = await t.incoming.onEnvelope(decoy.envelope, mallory.peer);
  assert.equal(decoyAck.result, Ack.Result.DELIVERED);
  const real = await t.seal("the real message", "", new Uint8Array(0), id);
  const ack = await t.incoming.onEnvelope(real.envelope, t.alicePeer);
  assert.equal(ack.result, Ack.Result.DELIVERED);
  const texts = t.events.flatMap((e) => e.type === "message" ? [`${e.from}: ${e.text}`] : []);
  assert.deepEqual(texts, ["mallory: decoy", "alice: the real message"], "both are shown");
  assert.equal(t.bob.history.recent("alice", 10).length, 1, "alice's line is stored");
  assert.equal(t.bob.history.recent("mallory", 10).length, 1);
});

Deno.test("incoming: an envelope for a session bob lost is answered SESSION_RESET, told once", async () => {
  const t = await setup();
  const first = await t.seal("before the loss");
  assert.equal(
    (await t.incoming.onEnvelope(first.envelope, t.alicePeer)).result,
    Ack.Result.DELIVERED,
  );
  t.bob.ratchetSessions.deleteAll("alice"); // bob's state is gone (a repaired profile)
  for (const text of ["after the loss", "and again"]) {
    const { id, envelope } = await t.seal(text);
    const ack = await t.incoming.onEnvelope(envelope, t.alicePeer);
    assert.equal(ack.result, Ack.Result.SESSION_RESET, text);
    assert.equal(toHex(ack.messageId), id);
    assert.match(ack.reason, /already used/); // alice still repeats her first X3DH header
    assert.equal(t.bob.history.seen(t.aliceKey, fromHex(id)), false, "nothing stored");
  }
  const told = t.events.filter((e) => e.type === "notice");
  assert.equal(told.length, 1, "the user is told once");
  assert.match(
    told[0]!.type === "notice" ? told[0]!.text : "",
    /a message from alice could not be decrypted/,
  );

  const mailed = await t.seal("by mail");
  const outcome = await t.incoming.onMail(mailed.envelope);
  assert.equal(outcome.delivered, false);
  assert.deepEqual(
    outcome.resetBy,
    t.alicePeer.publicKey!.raw,
    "its sender is to be asked to reset",
  );
});

Deno.test("incoming: a send time far ahead is not sorted by: shown at arrival, with a note", async () => {
  const t = await setup();
  const future = NOW + 3 * 365 * 24 * 60 * 60 * 1000;
  const { envelope } = await t.seal(
    "from the future",
    "",
    new Uint8Array(0),
    newMessageId(),
    future,
  );
  assert.equal((await t.incoming.onEnvelope(envelope, t.alicePeer)).result, Ack.Result.DELIVERED);
  const event = t.events[0];
  assert.equal(event?.type, "message");
  assert.equal(event.type === "message" && event.sentAt, NOW, "shown at the time it arrived");
  assert.match(event.type === "message" && event.clockNote || "", /2026-.*, over 24 h ahead/);
  assert.equal(t.bob.history.recent("alice", 10)[0]?.sentAt, NOW, "sorted by the time it arrived");
  const plain = await t.seal("on time", "", new Uint8Array(0), newMessageId(), NOW - 1000);
  await t.incoming.onEnvelope(plain.envelope, t.alicePeer);
  const second = t.events[1];
  assert.equal(second?.type === "message" && second.sentAt, NOW - 1000);
  assert.equal(second?.type === "message" && "clockNote" in second, false);
});

/** Counts the transactions begun on `db` from now on. */
function countTransactions(db: DatabaseSync): { readonly count: number } {
  const counter = { count: 0 };
  const exec = db.exec.bind(db);
  db.exec = (sql: string) => {
    if (sql.startsWith("BEGIN")) counter.count++;
    return exec(sql);
  };
  return counter;
}

const texts = (events: PeerEvent[]) => events.flatMap((e) => e.type === "message" ? [e.text] : []);

Deno.test("incoming: a frame of chat messages is committed in ONE transaction, an Ack for each in order", async () => {
  const t = await setup();
  await t.incoming.onEnvelope((await t.seal("first")).envelope, t.alicePeer);
  const sealed = [];
  for (let i = 0; i < 5; i++) sealed.push(await t.seal(`batched ${i}`));
  const transactions = countTransactions(t.bob.db);
  const acks = await t.incoming.onEnvelopes(sealed.map((s) => s.envelope), t.alicePeer);
  assert.equal(transactions.count, 1, "one group commit");
  assert.deepEqual(acks.map((a) => a.result), sealed.map(() => Ack.Result.DELIVERED));
  assert.deepEqual(acks.map((a) => toHex(a.messageId)), sealed.map((s) => s.id));
  assert.deepEqual(texts(t.events), ["first", ...sealed.map((_, i) => `batched ${i}`)]);
  for (const { id } of sealed) assert.equal(t.bob.history.seen(t.aliceKey, fromHex(id)), true);
  assert.equal(t.bob.history.recent("alice", 10).length, 6);
  // The session was saved once, in the state after the last: the next message decrypts.
  const next = await t.seal("after the batch");
  assert.equal(
    (await t.incoming.onEnvelope(next.envelope, t.alicePeer)).result,
    Ack.Result.DELIVERED,
  );
});

Deno.test("incoming: a frame of chat messages reads and opens the sender's stored sessions once", async () => {
  const t = await setup();
  await t.incoming.onEnvelope((await t.seal("first")).envelope, t.alicePeer);
  const sealed = [];
  for (let i = 0; i < 5; i++) sealed.push(await t.seal(`batched ${i}`));
  const sessions = t.bob.ratchetSessions;
  const list = sessions.list.bind(sessions);
  let lists = 0;
  sessions.list = (username, identityKey) => {
    lists++;
    return list(username, identityKey);
  };
  const acks = await t.incoming.onEnvelopes(sealed.map((s) => s.envelope), t.alicePeer);
  assert.deepEqual(acks.map((a) => a.result), sealed.map(() => Ack.Result.DELIVERED));
  assert.equal(lists, 1, "one read of the stored sessions for the whole batch");
  assert.deepEqual(texts(t.events), ["first", ...sealed.map((_, i) => `batched ${i}`)]);
});

Deno.test("incoming: a first message in a frame is committed alone, the rest together", async () => {
  const t = await setup();
  const sealed = [];
  for (let i = 0; i < 4; i++) sealed.push(await t.seal(`m${i}`));
  const transactions = countTransactions(t.bob.db);
  const acks = await t.incoming.onEnvelopes(sealed.map((s) => s.envelope), t.alicePeer);
  assert.deepEqual(acks.map((a) => a.result), sealed.map(() => Ack.Result.DELIVERED));
  assert.equal(transactions.count, 2, "the new session alone, then the other three");
  assert.deepEqual(texts(t.events), ["m0", "m1", "m2", "m3"]);
});

Deno.test("incoming: a copy in the same frame, and the frame again after a crash between commit and Ack, are stored once", async () => {
  const t = await setup();
  await t.incoming.onEnvelope((await t.seal("first")).envelope, t.alicePeer);
  const [a, b] = [await t.seal("a"), await t.seal("b")];
  const frame = [a.envelope, b.envelope, a.envelope];
  const acks = await t.incoming.onEnvelopes(frame, t.alicePeer);
  assert.deepEqual(acks.map((x) => toHex(x.messageId)), [a.id, b.id, a.id]);
  assert.deepEqual(acks.map((x) => x.result), frame.map(() => Ack.Result.DELIVERED));
  // Bob crashed after the commit, before his Ack went out: alice sends the frame again.
  const again = await t.incoming.onEnvelopes(frame, t.alicePeer);
  assert.deepEqual(again.map((x) => x.result), frame.map(() => Ack.Result.DELIVERED));
  assert.deepEqual(texts(t.events), ["first", "a", "b"], "each shown once");
  assert.equal(t.bob.history.recent("alice", 10).length, 3, "each stored once");
});

Deno.test("incoming: a tampered envelope in a frame is rejected alone; the others are stored", async () => {
  const t = await setup();
  await t.incoming.onEnvelope((await t.seal("first")).envelope, t.alicePeer);
  const sealed = [await t.seal("x"), await t.seal("y"), await t.seal("z")];
  const tampered = sealed[1]!.envelope.slice();
  tampered[tampered.length - 20]! ^= 0x80;
  const acks = await t.incoming.onEnvelopes(
    [sealed[0]!.envelope, tampered, sealed[2]!.envelope],
    t.alicePeer,
  );
  assert.deepEqual(acks.map((a) => a.result), [
    Ack.Result.DELIVERED,
    Ack.Result.REJECTED,
    Ack.Result.DELIVERED,
  ]);
  assert.deepEqual(texts(t.events), ["first", "x", "z"]);
  assert.equal(t.bob.history.seen(t.aliceKey, fromHex(sealed[1]!.id)), false);
});

Deno.test("incoming: a frame of Acks settles only the messages it lists, in one transaction", async () => {
  const t = await setup();
  t.bob.contacts.pin("alice", t.aliceKey, NOW);
  const ids = [newMessageId(), newMessageId(), newMessageId()];
  for (const messageId of ids) {
    t.bob.outbox.add({
      messageId,
      recipient: "alice",
      body: new Uint8Array(1),
      status: "pending",
      createdAt: NOW,
    });
    t.bob.outbox.setEnvelope(messageId, new Uint8Array(1), NOW);
  }
  const stranger = await t.sender("mallory");
  const transactions = countTransactions(t.bob.db);
  const ack = (messageId: Uint8Array) => ({ messageId, result: Ack.Result.DELIVERED, reason: "" });
  t.incoming.onAcks([ack(ids[2]!)], stranger.peer); // not alice: changes nothing
  t.incoming.onAcks([ack(ids[0]!), ack(ids[2]!)], t.alicePeer);
  assert.equal(transactions.count, 2);
  assert.deepEqual(ids.map((id) => t.bob.outbox.get(id)?.status), [
    "delivered",
    "sent",
    "delivered",
  ]);
  assert.deepEqual(t.reports, [`delivered ${toHex(ids[0]!)}`, `delivered ${toHex(ids[2]!)}`]);
  assert.deepEqual(t.bob.outbox.undelivered("alice").map((e) => toHex(e.messageId)), [
    toHex(ids[1]!),
  ], "the one not acknowledged is still to be resent");
});

Deno.test("incoming: messages encrypted together by the sender (one transaction) decrypt in order, as one frame", async () => {
  const t = await setup();
  const senderTransactions = countTransactions(t.aliceDb);
  const texts = ["p", "q", "r", "s"];
  const envelopes = await t.sealAll(texts); // a first session: X3DH, then three more on it
  assert.equal(senderTransactions.count, 1, "the session once, every envelope, in one commit");
  assert.equal(t.aliceOutbox.undelivered("bob").every((e) => e.envelope !== undefined), true);
  const acks = await t.incoming.onEnvelopes(envelopes, t.alicePeer);
  assert.deepEqual(acks.map((a) => a.result), texts.map(() => Ack.Result.DELIVERED));
  assert.deepEqual(
    t.events.flatMap((e) => e.type === "message" ? [e.text] : []),
    texts,
  );
  const more = await t.sealAll(["t", "u"]); // on the stored session, which was saved once
  assert.deepEqual(
    (await t.incoming.onEnvelopes(more, t.alicePeer)).map((a) => a.result),
    [Ack.Result.DELIVERED, Ack.Result.DELIVERED],
  );
});
