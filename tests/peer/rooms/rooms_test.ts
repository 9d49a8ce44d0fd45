import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PeerId } from "@libp2p/interface";
import {
  type MemberList,
  peekMemberList,
  signMemberList,
} from "../../../src/crypto/member_list.ts";
import { randomBytes, signerFromPrivateKey } from "../../../src/crypto/primitives.ts";
import { listUpdate } from "../../../src/peer/rooms/member_lists.ts";
import { RoomError, type RoomEvent, Rooms } from "../../../src/peer/rooms/rooms.ts";
import type { ContentMessage } from "../../../src/peer/service.ts";
import { RoomStore } from "../../../src/peer/store/rooms.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { peerIdOfKey } from "../../../src/peer/trust.ts";
import { CONTENT_KINDS } from "../../../src/protocol/ids.ts";
import { openDatabase } from "../../../src/store/database.ts";

const NOW = 1_700_000_000_000;
const aliceSigner = signerFromPrivateKey(await generateKeyPair("Ed25519"));
const bobIdentity = await generateKeyPair("Ed25519");
const mallory = signerFromPrivateKey(await generateKeyPair("Ed25519"));

/** Bob's rooms on in-memory SQLite, with recording fakes for the ports. */
function bobsRooms(
  options: {
    pinned?: (username: string) => PeerId;
    online?: string[];
    home?: string | (() => string);
  } = {},
) {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const sent: { to: string; kind: string; text: string | undefined }[] = [];
  const followed: string[] = [];
  const service = new Rooms({
    username: "bob",
    profile: { db, storageKey: new Uint8Array(32).fill(3), identity: bobIdentity },
    now: () => NOW,
    content: {
      sendContent: (to, kind, _payload, text) => {
        sent.push({ to, kind, text });
        return Promise.resolve(`id-${sent.length}`);
      },
      sendContentToAll: (recipients, kind, _payload, text) =>
        Promise.resolve(recipients.map((to) => {
          sent.push({ to, kind, text });
          return `id-${sent.length}`;
        })),
    },
    users: {
      resolvePeer: (username) =>
        Promise.resolve(options.pinned?.(username) ?? peerIdOfKey(aliceSigner.publicKey)),
    },
    presence: {
      everyone: () => Promise.resolve(options.online ?? []),
      setFollowed: (names) => void followed.splice(0, followed.length, ...names),
    },
    home: () => typeof options.home === "function" ? options.home() : options.home,
  });
  const events: RoomEvent[] = [];
  service.on((event) => events.push(event));
  return { service, events, sent, followed, db, close: () => db.close() };
}

function message(kind: string, payload: Uint8Array, text = ""): ContentMessage {
  return { id: `${kind}-1`, from: "alice", sentAt: NOW, text, payload };
}

/** Alice's invitation of bob to #ops, naming them `names` (bare by default: format 1). */
async function invitation(names = { alice: "alice", bob: "bob" }): Promise<Uint8Array> {
  const list: MemberList = {
    roomId: randomBytes(16),
    name: "#ops",
    version: 1,
    creator: names.alice,
    admins: [names.alice],
    members: [
      { username: names.alice, identityKey: aliceSigner.publicKey },
      { username: names.bob, identityKey: bobIdentity.publicKey.raw },
    ],
    issuedAt: NOW,
    previous: new Uint8Array(0),
  };
  return listUpdate(await signMemberList(aliceSigner, names.alice, list));
}

Deno.test("rooms service: declares the room kinds and broadcasts, nothing else", () => {
  const { service, close } = bobsRooms();
  try {
    assert.deepEqual(
      Object.keys(service.contentHandlers).sort(),
      [...Object.values(CONTENT_KINDS.room), CONTENT_KINDS.broadcast].sort(),
    );
  } finally {
    close();
  }
});

Deno.test("rooms service: an invitation fed as content is stored as invited and announced", async () => {
  const { service, events, followed, close } = bobsRooms();
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.room.invite]!;
    await handle(message(CONTENT_KINDS.room.invite, await invitation()));
    assert.deepEqual(service.rooms().map((r) => [r.name, r.status]), [["#ops", "invited"]]);
    assert.deepEqual(events, [{ type: "room-invite", room: "#ops", from: "alice" }]);
    assert.deepEqual(followed, ["alice"], "the room's members are followed (not bob himself)");
    await service.leave("#ops");
    assert.deepEqual(followed, [], "declined: its members are no longer followed");
  } finally {
    close();
  }
});

Deno.test("rooms service: an invitation whose signer key is not the one pinned is refused", async () => {
  const { service, events, close } = bobsRooms({ pinned: () => peerIdOfKey(mallory.publicKey) });
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.room.invite]!;
    await assert.rejects(
      Promise.resolve(handle(message(CONTENT_KINDS.room.invite, await invitation()))),
      RoomError,
    );
    assert.deepEqual(service.rooms(), []);
    assert.deepEqual(events, []);
  } finally {
    close();
  }
});

Deno.test("rooms service: a malformed room message is refused", async () => {
  const { service, close } = bobsRooms();
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.room.members]!;
    await assert.rejects(
      Promise.resolve(handle(message(CONTENT_KINDS.room.members, Uint8Array.of(0xff, 0xff)))),
    );
  } finally {
    close();
  }
});

Deno.test("rooms service: a broadcast received is shown; one sent goes to everyone online", async () => {
  const { service, events, sent, close } = bobsRooms({ online: ["alice", "carol"] });
  try {
    await service.contentHandlers[CONTENT_KINDS.broadcast]!(
      message(CONTENT_KINDS.broadcast, new Uint8Array(0), "hello all"),
    );
    assert.deepEqual(events, [{
      type: "broadcast",
      id: "broadcast-1",
      from: "alice",
      text: "hello all",
      sentAt: NOW,
    }]);
    assert.deepEqual(await service.broadcast("hi"), ["alice", "carol"]);
    assert.deepEqual(sent, [
      { to: "alice", kind: CONTENT_KINDS.broadcast, text: "hi" },
      { to: "carol", kind: CONTENT_KINDS.broadcast, text: "hi" },
    ]);
    assert.equal(service.sentByRooms("id-1"), true);
  } finally {
    close();
  }
});

/** The names the list bob holds for `room` gives its members, as signed. */
function signedNames(db: ConstructorParameters<typeof RoomStore>[0], room: string): string[] {
  const row = new RoomStore(db).byName(room)!;
  return peekMemberList(row.list).list.members.map((m) => m.username);
}

Deno.test("rooms service: with its home known, a room's list is signed with qualified names and shown in local ones", async () => {
  const { service, db, sent, close } = bobsRooms({
    home: "work",
    pinned: () => peerIdOfKey(aliceSigner.publicKey),
  });
  try {
    await service.create("#ops");
    await service.invite("carol@WORK", "#ops");
    await service.invite("alice@home", "#ops");
    assert.deepEqual(signedNames(db, "#ops"), ["bob@work", "carol@work", "alice@home"]);
    assert.deepEqual(service.members("#ops").map((m) => m.username), [
      "bob",
      "carol",
      "alice@home",
    ]);
    assert.deepEqual(
      sent.filter((s) => s.kind === CONTENT_KINDS.room.invite).map((s) => s.to),
      ["carol", "alice@home"],
      "sent to the names the peer keys its contacts by",
    );
    await assert.rejects(service.invite("carol", "#ops"), /carol is already in #ops/);
  } finally {
    close();
  }
});

Deno.test("rooms service: the members shown follow the stored list as it changes, and our home's name", async () => {
  let home = "work";
  const { service, close } = bobsRooms({
    home: () => home,
    pinned: () => peerIdOfKey(aliceSigner.publicKey),
  });
  try {
    await service.create("#ops");
    const shown = () => service.members("#ops").map((m) => m.username);
    assert.deepEqual(shown(), ["bob"]);
    assert.deepEqual(shown(), ["bob"], "asked again, the same");
    await service.invite("carol", "#ops");
    assert.deepEqual(shown(), ["bob", "carol"], "a new list is read anew");
    await service.invite("alice@home", "#ops");
    assert.deepEqual(shown(), ["bob", "carol", "alice@home"]);
    home = "home";
    assert.deepEqual(shown(), ["bob@work", "carol@work", "alice"], "shown as seen from home");
  } finally {
    close();
  }
});

Deno.test("rooms service: before the home said its name, lists are signed with bare names (format 1)", async () => {
  const { service, db, close } = bobsRooms();
  try {
    await service.create("#ops");
    assert.deepEqual(signedNames(db, "#ops"), ["bob"]);
  } finally {
    close();
  }
});

Deno.test("rooms service: an invitation from alice@home names bob@work; bob at work shows alice@home", async () => {
  const { service, events, close } = bobsRooms({ home: "work" });
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.room.invite]!;
    const update = await invitation({ alice: "alice@home", bob: "bob@work" });
    await handle({ ...message(CONTENT_KINDS.room.invite, update), from: "alice@home" });
    assert.deepEqual(events, [{ type: "room-invite", room: "#ops", from: "alice@home" }]);
    assert.deepEqual(service.members("#ops").map((m) => m.username), ["alice@home", "bob"]);
  } finally {
    close();
  }
});

Deno.test("rooms service: an old invitation (format 1, bare names) still works at the same home", async () => {
  const { service, events, close } = bobsRooms({ home: "home" });
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.room.invite]!;
    await handle(message(CONTENT_KINDS.room.invite, await invitation()));
    assert.deepEqual(events, [{ type: "room-invite", room: "#ops", from: "alice" }]);
    assert.deepEqual(service.members("#ops").map((m) => m.username), ["alice", "bob"]);
    await service.join("#ops");
    assert.equal(service.rooms()[0]?.status, "joined");
  } finally {
    close();
  }
});
