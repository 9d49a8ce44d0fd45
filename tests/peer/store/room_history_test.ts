import assert from "node:assert/strict";
import { DecryptionError, randomBytes } from "../../../src/crypto/primitives.ts";
import { RoomHistory } from "../../../src/peer/store/room_history.ts";
import { RoomStore } from "../../../src/peer/store/rooms.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";

function setup() {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const rooms = new RoomStore(db);
  const room = (name: string) => {
    const roomId = randomBytes(16);
    rooms.add(
      { roomId, localName: name, status: "joined", list: new Uint8Array(1), inviter: "" },
      0,
    );
    return roomId;
  };
  return { db, history: new RoomHistory(db, randomBytes(32)), room };
}

async function store(
  history: RoomHistory,
  roomId: Uint8Array,
  sender: string,
  sentAt: number,
  text: string,
  messageId = RoomHistory.sentId(),
): Promise<Uint8Array> {
  const body = await history.seal(roomId, messageId, text);
  history.add({ roomId, messageId, sender, sentAt, body }, sentAt);
  return messageId;
}

Deno.test("room history: the last n messages of one room, oldest first, each once", async () => {
  const { history, room } = setup();
  const ops = room("#ops");
  const dev = room("#dev");
  await store(history, ops, "alice", 1_000, "first");
  const id = await store(history, ops, "bob", 2_000, "second");
  await store(history, ops, "bob", 2_000, "second again", id); // a handler run twice
  await store(history, ops, "carol", 1_500, "late clock");
  await store(history, dev, "dave", 1_200, "elsewhere");
  assert.deepEqual(await history.recent(ops, 10), [
    { from: "alice", sentAt: 1_000, text: "first" },
    { from: "carol", sentAt: 1_500, text: "late clock" },
    { from: "bob", sentAt: 2_000, text: "second" },
  ]);
  assert.deepEqual((await history.recent(ops, 2)).map((l) => l.text), ["late clock", "second"]);
  assert.deepEqual((await history.recent(dev, 10)).map((l) => l.text), ["elsewhere"]);
  assert.deepEqual(await history.recent(randomBytes(16), 10), []);
});

Deno.test("room history: texts are sealed, and a body moved to another message does not open", async () => {
  const { db, history, room } = setup();
  const ops = room("#ops");
  await store(history, ops, "alice", 1_000, "the launch code is 0000");
  const [row] = db.prepare("SELECT body FROM room_history").all() as { body: Uint8Array }[];
  assert.ok(!new TextDecoder().decode(row!.body).includes("launch code"));
  const other = RoomHistory.sentId();
  db.prepare(
    "INSERT INTO room_history (room_id, message_id, sender, sent_at, stored_at, body) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(ops, other, "mallory", 2_000, 2_000, row!.body);
  await assert.rejects(history.recent(ops, 10), DecryptionError);
});
