import assert from "node:assert/strict";
import { fromHex, toHex } from "../../../src/crypto/bytes.ts";
import { openOutboxBody } from "../../../src/peer/store/outbox_body.ts";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import { Content } from "../../../src/proto/chat.ts";
import { NOW, type World, world } from "./outgoing_world.ts";

const STORAGE_KEY = new Uint8Array(32).fill(7); // the world's

/** The outbox rows of `w`, by recipient. */
function recipients(w: World): string[] {
  return w.db.prepare("SELECT recipient FROM outbox ORDER BY recipient").all()
    .map((row) => String(row.recipient));
}

Deno.test("outgoing: writeAll writes one message to each recipient, with its own id, and sends each", async () => {
  const w = world();
  try {
    const ids = await w.outgoing.writeAll(
      ["bob", "carol", "dave"],
      "",
      "room/message",
      Uint8Array.of(9, 8, 7),
    );
    assert.equal(new Set(ids).size, 3);
    await Promise.all(["bob", "carol", "dave"].map((to) => w.outgoing.flush(to)));
    for (const [i, to] of ["bob", "carol", "dave"].entries()) {
      const entry = w.outbox.get(fromHex(ids[i]!))!;
      assert.equal(entry.recipient, to, "the ids come back in the order of the recipients");
      assert.equal(entry.status, "sent");
      const content = Content.decode(
        await openOutboxBody(STORAGE_KEY, entry.body, entry.messageId),
      );
      assert.deepEqual(
        [content.from, content.kind, [...content.payload], Number(content.sentAt)],
        ["alice", "room/message", [9, 8, 7], NOW],
      );
    }
    const sentIds = w.sent.map((e) => toHex(e.subarray(0, 16))).sort();
    assert.deepEqual(sentIds, [...ids].sort(), "each sent once");
    assert.deepEqual(await w.outgoing.writeAll([], "", "room/message"), [], "no recipients");
  } finally {
    w.close();
  }
});

Deno.test("outgoing: writeAll writes all of its messages or none", async () => {
  const w = world();
  try {
    // The third insert fails, as a full disk would fail it.
    w.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON outbox WHEN NEW.recipient = 'mallory'
               BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    await assert.rejects(
      w.outgoing.writeAll(["bob", "carol", "mallory"], "", "room/message", Uint8Array.of(1)),
      /disk is full/,
    );
    assert.deepEqual(recipients(w), [], "none written");
    await w.outgoing.flush("bob");
    assert.equal(w.sent.length, 0, "nothing sent");
    w.db.exec("DROP TRIGGER refuse");
    await w.outgoing.writeAll(["bob", "carol"], "", "room/message", Uint8Array.of(1));
    assert.deepEqual(recipients(w), ["bob", "carol"]);
    await Promise.all(["bob", "carol"].map((to) => w.outgoing.flush(to)));
  } finally {
    w.close();
  }
});

Deno.test("outgoing: writeAll holds the message to a recipient whose key changed; the others go", async () => {
  const w = world();
  try {
    const contacts = new ContactStore(w.db);
    contacts.pin("carol", new Uint8Array(32).fill(1), NOW);
    contacts.setPending("carol", new Uint8Array(32).fill(2), NOW);
    const [toBob, toCarol] = await w.outgoing.writeAll(["bob", "carol"], "", "room/message");
    await w.outgoing.flush("bob");
    assert.equal(w.outbox.get(fromHex(toBob!))?.status, "sent");
    assert.equal(w.outbox.get(fromHex(toCarol!))?.status, "held");
    assert.ok(w.events.some((e) => e.type === "key-changed" && e.username === "carol"));
  } finally {
    w.close();
  }
});
