/**
 * A content handler's returned writes are made in the commit that stores the message as received
 * (incoming.ts, other_content.ts): both are stored or neither.
 */
import assert from "node:assert/strict";
import { fromHex } from "../../../src/crypto/bytes.ts";
import type { ContentWrites } from "../../../src/peer/service.ts";
import { Ack } from "../../../src/proto/chat.ts";
import type { DatabaseSync } from "node:sqlite";
import { setup } from "./incoming_world.ts";

/** A handler that notes each message's id in bob's `notes` table, through its returned writes. */
function noting(bob: { db?: DatabaseSync }, committed: string[], failWrites: { left: number }) {
  return (m: { id: string }): ContentWrites => ({
    write: () => {
      if (failWrites.left-- > 0) throw new Error("database or disk is full");
      bob.db!.prepare("INSERT INTO notes (id) VALUES (?)").run(m.id);
    },
    committed: () => committed.push(m.id),
  });
}

function notes(db: DatabaseSync): string[] {
  return db.prepare("SELECT id FROM notes").all().map((row) => String(row.id));
}

Deno.test("content writes: a handler's writes are committed with the message, then it is told", async () => {
  const committed: string[] = [];
  const bob: { db?: DatabaseSync } = {};
  const t = await setup({ handlers: [["test/kind", noting(bob, committed, { left: 0 })]] });
  const db = bob.db = t.bob.db;
  db.exec("CREATE TABLE notes (id TEXT)");
  const { id, envelope } = await t.seal("", "test/kind", Uint8Array.of(1));
  assert.equal((await t.incoming.onEnvelope(envelope, t.alicePeer)).result, Ack.Result.DELIVERED);
  assert.deepEqual(notes(db), [id]);
  assert.deepEqual(committed, [id]);
  assert.equal(t.bob.history.seen(t.aliceKey, fromHex(id)), true);
});

Deno.test("content writes: when they fail, nothing of the message is stored, and its resend is", async () => {
  const committed: string[] = [];
  const failWrites = { left: 1 };
  const bob: { db?: DatabaseSync } = {};
  const t = await setup({ handlers: [["test/kind", noting(bob, committed, failWrites)]] });
  const db = bob.db = t.bob.db;
  db.exec("CREATE TABLE notes (id TEXT)");
  const { id, envelope } = await t.seal("", "test/kind", Uint8Array.of(1));
  await assert.rejects(t.incoming.onEnvelope(envelope, t.alicePeer), /disk is full/);
  assert.deepEqual(notes(db), []);
  assert.deepEqual(committed, [], "not told: nothing was committed");
  assert.equal(t.bob.history.seen(t.aliceKey, fromHex(id)), false, "no Ack: alice resends");
  // The session was not moved on either: the resend decrypts.
  assert.equal((await t.incoming.onEnvelope(envelope, t.alicePeer)).result, Ack.Result.DELIVERED);
  assert.deepEqual(notes(db), [id]);
  assert.deepEqual(committed, [id]);
});
