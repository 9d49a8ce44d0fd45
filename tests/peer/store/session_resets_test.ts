import assert from "node:assert/strict";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import {
  MAX_RESETS_PER_SENDER,
  SessionResetStore,
} from "../../../src/peer/store/session_resets.ts";
import { openDatabase } from "../../../src/store/database.ts";

Deno.test("session resets wait per sender, oldest first, bounded, until sent", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  try {
    const store = new SessionResetStore(db);
    const alice = new Uint8Array(32).fill(1);
    const carol = new Uint8Array(32).fill(2);
    store.add(alice, Uint8Array.of(1), "no session", 1);
    store.add(alice, Uint8Array.of(2), "no session", 2);
    store.add(alice, Uint8Array.of(2), "again", 3); // once per message
    store.add(carol, Uint8Array.of(9), "no session", 4);
    assert.equal(store.senders().length, 2);
    assert.deepEqual(store.waiting(alice).map((w) => w.messageId[0]), [1, 2]);
    store.remove(alice, Uint8Array.of(1));
    assert.deepEqual(store.waiting(alice).map((w) => w.messageId[0]), [2]);
    for (let i = 0; i < MAX_RESETS_PER_SENDER + 5; i++) {
      store.add(carol, new Uint8Array(Uint16Array.of(1000 + i).buffer), "flood", 10 + i);
    }
    assert.equal(store.waiting(carol).length, MAX_RESETS_PER_SENDER);
  } finally {
    db.close();
  }
});
