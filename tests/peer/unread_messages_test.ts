/**
 * UnreadMessages on in-memory SQLite: a noted message is printed from the history line of its
 * sender, so two senders' messages with one id are two unread messages, each with its own text.
 */
import assert from "node:assert/strict";
import { sealAtRest } from "../../src/crypto/at_rest.ts";
import { toHex } from "../../src/crypto/bytes.ts";
import { newMessageId } from "../../src/crypto/envelope.ts";
import { HistoryStore } from "../../src/peer/store/history.ts";
import { bodyContext } from "../../src/peer/store/body_context.ts";
import { PEER_MIGRATIONS } from "../../src/peer/store/schema.ts";
import { type ReceivedMessage, UnreadMessages } from "../../src/peer/unread_messages.ts";
import { Content } from "../../src/proto/chat.ts";
import { openDatabase } from "../../src/store/database.ts";

const NOW = 1_700_000_000_000;

Deno.test("UnreadMessages: one id from two senders is two messages, each printed once", async () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  try {
    const profile = { db, storageKey: new Uint8Array(32).fill(7) };
    const history = new HistoryStore(db);
    const unread = new UnreadMessages(profile);
    const messageId = newMessageId();
    const arrived: ReceivedMessage[] = [];
    for (const from of ["mallory", "alice"]) {
      const text = `from ${from}`;
      const plaintext = Content.encode({
        from,
        text,
        sentAt: BigInt(NOW),
        kind: "",
        payload: new Uint8Array(0),
      });
      const body = await sealAtRest(
        profile.storageKey,
        plaintext,
        bodyContext("history", messageId),
      );
      history.add({ messageId, peer: from, outgoing: false, sentAt: NOW, body }, NOW);
      const message: ReceivedMessage = {
        type: "message",
        id: toHex(messageId),
        from,
        to: "bob",
        text,
        sentAt: NOW,
        keyChanged: false,
        trusted: true,
        via: "mailbox",
      };
      unread.note(message);
      arrived.push(message);
    }
    const printed: string[] = [];
    for (let next = await unread.next(); next; next = await unread.next()) {
      printed.push(`${next.from}: ${next.text}`);
      unread.printed(next);
    }
    assert.deepEqual(printed, ["mallory: from mallory", "alice: from alice"]);
    assert.deepEqual(await unread.next(), undefined);
    assert.deepEqual(arrived.map((m) => m.id), [toHex(messageId), toHex(messageId)]);
  } finally {
    db.close();
  }
});
