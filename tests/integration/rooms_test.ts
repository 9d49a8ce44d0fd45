import assert from "node:assert/strict";
import { openAtRest } from "../../src/crypto/at_rest.ts";
import {
  listHash,
  type MemberList,
  peekMemberList,
  signMemberList,
} from "../../src/crypto/member_list.ts";
import { concat, signerFromPrivateKey } from "../../src/crypto/primitives.ts";
import {
  decodeChain,
  openRoomMessage,
  type ReceiverChain,
  SenderKeyError,
} from "../../src/crypto/sender_key.ts";
import { RoomListUpdate, SignedMemberList } from "../../src/proto/room.ts";
import { listUpdate } from "../../src/peer/rooms/member_lists.ts";
import { localList, qualifiedList, qualifiedName } from "../../src/peer/rooms/list_names.ts";
import { RoomStore } from "../../src/peer/store/rooms.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { allJoined, type Member, member, texts, until } from "./room_members.ts";

/** The chain `m` holds for `sender` in #ops, opened from its store. */
async function heldChain(m: Member, sender: string): Promise<ReceiverChain> {
  const store = new RoomStore(m.t.profile.db);
  const room = store.byName("#ops")!;
  const sealed = store.chain(room.roomId, sender)!.chain!;
  const context = concat(
    new TextEncoder().encode("room-chain"),
    Uint8Array.of(0),
    room.roomId,
    new TextEncoder().encode(sender),
  );
  return decodeChain(await openAtRest(m.t.profile.storageKey, sealed, context));
}

/** The list `m` holds for `room`, in the names `m` shows (`bob`, not `bob@test`). */
function currentList(m: Member, room = "#ops"): MemberList {
  const store = new RoomStore(m.t.profile.db);
  const home = m.t.peer.home;
  return localList(peekMemberList(store.byName(room)!.list, home).list, home);
}

/** `list` (in the names `m` shows) signed by `m`, its names qualified as the peer signs them. */
async function signAs(m: Member, list: MemberList): Promise<Uint8Array> {
  const home = m.t.peer.home;
  return await signMemberList(
    signerFromPrivateKey(m.t.profile.identity),
    qualifiedName(m.t.peer.username, home),
    qualifiedList(list, home),
  );
}

/** The signed list `m` holds for `room`. */
function heldBytes(m: Member, room: string): Uint8Array {
  return new RoomStore(m.t.profile.db).byName(room)!.list;
}

/** Alice creates `room` and invites bob and carol, who wait for the invitation (no join yet). */
async function inviteTwo(room: string, alice: Member, bob: Member, carol: Member): Promise<void> {
  await alice.rooms.create(room);
  await alice.rooms.invite("bob", room);
  await alice.rooms.invite("carol", room);
  await until(
    "invitations",
    () => [bob, carol].every((m) => m.events.some((e) => e.type === "room-invite")),
  );
}

Deno.test("a three-member room: in-order delivery, a kicked member cannot read, forged lists are rejected", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await member(address, "alice");
  const bob = await member(address, "bob");
  const carol = await member(address, "carol");
  try {
    // Create, invite, join.
    await alice.rooms.create("#ops");
    await alice.rooms.invite("bob", "#ops");
    await alice.rooms.invite("carol", "#ops");
    await until("bob's invitation", () => bob.events.some((e) => e.type === "room-invite"));
    await until("carol's invitation", () => carol.events.some((e) => e.type === "room-invite"));
    assert.deepEqual(bob.rooms.rooms().map((r) => [r.name, r.status]), [["#ops", "invited"]]);
    await bob.rooms.join("#ops");
    await carol.rooms.join("#ops");
    const everyone = ["alice", "bob", "carol"];
    for (const m of [alice, bob, carol]) {
      await until(`${m.t.peer.username} sees everyone joined`, () => allJoined(m, everyone));
    }

    // Messages reach every member, in order per sender, once.
    for (let i = 0; i < 5; i++) await alice.rooms.send("#ops", `a${i}`);
    for (let i = 0; i < 3; i++) await bob.rooms.send("#ops", `b${i}`);
    const fromAlice = ["a0", "a1", "a2", "a3", "a4"];
    await until(
      "alice's messages",
      () => texts(bob, "alice").length + texts(carol, "alice").length === 10,
    );
    await until(
      "bob's messages",
      () => texts(alice, "bob").length + texts(carol, "bob").length === 6,
    );
    assert.deepEqual(texts(bob, "alice"), fromAlice);
    assert.deepEqual(texts(carol, "alice"), fromAlice);
    assert.deepEqual(texts(alice, "bob"), ["b0", "b1", "b2"]);
    assert.deepEqual(texts(carol, "bob"), ["b0", "b1", "b2"]);
    assert.equal(texts(alice, "alice").length, 0);

    // Carol, a member but not an admin, forges lists: bob removed, dave added, an old replay.
    const list = currentList(carol);
    const carolSigner = signerFromPrivateKey(carol.t.profile.identity);
    const forge = async (next: MemberList) =>
      RoomListUpdate.encode({
        list: SignedMemberList.decode(await signAs(carol, next)),
      });
    const asAdmin = { ...list, admins: [...list.admins, "carol"], version: list.version + 1 };
    const withoutBob = await forge({
      ...asAdmin,
      members: list.members.filter((m) => m.username !== "bob"),
    });
    const withDave = await forge({
      ...asAdmin,
      members: [...list.members, { username: "dave", identityKey: carolSigner.publicKey }],
    });
    const forgedIds = [
      await carol.t.peer.sendContent("alice", "room/members", withoutBob),
      await carol.t.peer.sendContent("bob", "room/members", withoutBob),
      await carol.t.peer.sendContent("bob", "room/members", withDave),
    ];
    for (const id of forgedIds) {
      const failed = await carol.t.next("failed", (f) => f.id === id);
      assert.match(failed.reason, /carol@test is not a room admin/);
    }
    assert.deepEqual(bob.rooms.members("#ops").map((m) => m.username).sort(), everyone);
    assert.equal(currentList(bob).version, list.version);

    // The stale-list replay is refused too.
    const old = RoomListUpdate.encode({
      list: SignedMemberList.decode(
        await signAs(alice, {
          ...list,
          version: 1,
          members: list.members.filter((m) => m.username === "alice"),
        }),
      ),
    });
    const replay = await carol.t.peer.sendContent("bob", "room/members", old);
    assert.match((await carol.t.next("failed", (f) => f.id === replay)).reason, /version 1/);

    // Alice kicks carol; carol keeps a copy of alice's chain as it was.
    const carolsCopy = await heldChain(carol, "alice");
    const captured: Uint8Array[] = [];
    const sendContent = alice.t.peer.sendContent.bind(alice.t.peer);
    const sendContentToAll = alice.t.peer.sendContentToAll.bind(alice.t.peer);
    alice.t.peer.sendContentToAll = (recipients, kind, payload, text) => {
      if (kind === "room/message") captured.push(payload);
      return sendContentToAll(recipients, kind, payload, text);
    };
    await alice.rooms.kick("carol", "#ops");
    await until(
      "carol learns she was removed",
      () => carol.events.some((e) => e.type === "room-notice" && /removed you/.test(e.text)),
    );
    await until(
      "bob sees carol removed",
      () => bob.events.some((e) => e.type === "room-notice" && /carol is no longer/.test(e.text)),
    );
    assert.equal(carol.rooms.rooms()[0]!.status, "left");

    const ids = await alice.rooms.send("#ops", "after the kick");
    assert.equal(ids.length, 1, "only bob receives it");
    await until("bob reads it", () => texts(bob, "alice").includes("after the kick"));
    await bob.rooms.send("#ops", "bob after the kick");
    await until("alice reads bob", () => texts(alice, "bob").includes("bob after the kick"));
    assert.ok(!texts(carol, "alice").includes("after the kick"));
    assert.ok(!texts(carol, "bob").includes("bob after the kick"));

    // Even with the ciphertext and her old copy of alice's chain, carol cannot read it …
    const leaked = captured.at(-1)!;
    await assert.rejects(
      openRoomMessage(
        carolsCopy,
        currentList(alice).roomId,
        carolSigner.publicKey,
        leaked,
        Date.now(),
      ),
      SenderKeyError,
    );
    const aliceKey = signerFromPrivateKey(alice.t.profile.identity).publicKey;
    const roomId = currentList(alice).roomId;
    await assert.rejects(
      openRoomMessage(carolsCopy, roomId, aliceKey, leaked, Date.now()),
      /uses chain/,
    );
    const newGeneration = (await heldChain(bob, "alice")).generation;
    await assert.rejects(
      openRoomMessage(
        { ...carolsCopy, generation: newGeneration, iteration: 0, skipped: [] },
        roomId,
        aliceKey,
        leaked,
        Date.now(),
      ),
      /does not decrypt/,
    );
    // … and her peer refuses it when it is delivered to her.
    const leakId = await sendContent("carol", "room/message", leaked);
    assert.match((await alice.t.next("failed", (f) => f.id === leakId)).reason, /not in that room/);
    assert.ok(!carol.events.some((e) => e.type === "room-message" && e.text === "after the kick"));

    // Everything alice and bob said arrived once.
    assert.deepEqual(texts(bob, "alice"), [...fromAlice, "after the kick"]);
    assert.deepEqual(texts(alice, "bob"), ["b0", "b1", "b2", "bob after the kick"]);
  } finally {
    await stopAll(alice.t, bob.t, carol.t, rendezvous);
  }
});

Deno.test("leaving a room and broadcasting to everyone online", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await member(address, "alice");
  const bob = await member(address, "bob");
  const carol = await member(address, "carol");
  try {
    await inviteTwo("#team", alice, bob, carol);
    await bob.rooms.join("#team");
    await carol.rooms.join("#team");
    await until("joined", () => alice.rooms.members("#team").every((m) => m.joined));

    await carol.rooms.leave("#team");
    await until("alice signs carol out", () => alice.rooms.members("#team").length === 2);
    await until("bob sees it", () => bob.rooms.members("#team").length === 2);
    await bob.rooms.send("#team", "still here");
    await until("alice reads bob", () => texts(alice, "bob").includes("still here"));

    // Carol, who left and never talked to alice, is no longer followed; she is still online.
    await until("alice unfollows carol", () => !alice.t.peer.online().includes("carol"));
    assert.deepEqual(await alice.t.peer.everyoneOnline(), ["bob", "carol"]);
    const to = await alice.rooms.broadcast("hello everyone");
    assert.deepEqual(to, ["bob", "carol"]);
    for (const m of [bob, carol]) {
      await until(
        "the broadcast",
        () => m.events.some((e) => e.type === "broadcast" && e.text === "hello everyone"),
      );
    }
  } finally {
    await stopAll(alice.t, bob.t, carol.t, rendezvous);
  }
});

Deno.test("room messages are kept for /history #room: both directions, across a restart, up to a leave", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await member(address, "alice");
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  let bob = await member(address, "bob", { profileDir: bobDir });
  const carol = await member(address, "carol");
  const lines = async (m: Member, n = 10) =>
    (await m.rooms.history("#log", n)).map((l) => `${l.from}: ${l.text}`);
  try {
    await inviteTwo("#log", alice, bob, carol);
    assert.deepEqual(await lines(bob), [], "an invitation has no history yet");
    await bob.rooms.join("#log");
    await carol.rooms.join("#log");
    await until("joined", () => alice.rooms.members("#log").every((m) => m.joined));
    await until("bob sees carol", () => bob.rooms.members("#log").every((m) => m.joined));

    await alice.rooms.send("#log", "one");
    await until("bob reads one", () => texts(bob, "alice").includes("one"));
    await bob.rooms.send("#log", "two");
    await until("carol reads two", () => texts(carol, "bob").includes("two"));
    await until("alice reads two", () => texts(alice, "bob").includes("two"));
    await until("carol reads one", () => texts(carol, "alice").includes("one"));
    for (const m of [alice, bob, carol]) {
      assert.deepEqual(await lines(m), ["alice: one", "bob: two"], m.t.peer.username);
    }
    assert.deepEqual(await lines(alice, 1), ["bob: two"]);

    // Carol leaves: she keeps what she read and gets nothing later.
    await carol.rooms.leave("#log");
    await until("alice signs carol out", () => alice.rooms.members("#log").length === 2);
    await until("bob sees it", () => bob.rooms.members("#log").length === 2);

    // Bob restarts: his history is on disk; a message sent while he was away arrives by mail.
    await bob.t.stop();
    await alice.rooms.send("#log", "three");
    bob = await member(address, "bob", { profileDir: bobDir });
    await until("bob reads three", () => texts(bob, "alice").includes("three"));
    assert.deepEqual(await lines(bob), ["alice: one", "bob: two", "alice: three"]);
    assert.deepEqual(await lines(alice), ["alice: one", "bob: two", "alice: three"]);
    assert.deepEqual(await lines(carol), ["alice: one", "bob: two"]);
    await assert.rejects(alice.rooms.history("#nowhere", 10), /You have no room #nowhere/);
  } finally {
    await stopAll(alice.t, bob.t, carol.t, rendezvous);
    await Deno.remove(bobDir, { recursive: true }).catch(() => {});
  }
});

/** A rendezvous with alice, bob, carol and dave as members (no rooms yet). */
async function four() {
  const { rendezvous, address } = await withRendezvous();
  const [alice, bob, carol, dave] = [
    await member(address, "alice"),
    await member(address, "bob"),
    await member(address, "carol"),
    await member(address, "dave"),
  ];
  const stop = () => stopAll(alice.t, bob.t, carol.t, dave.t, rendezvous);
  return { alice, bob, carol, dave, stop };
}

Deno.test("an admin cannot vouch for a member key the rendezvous does not certify", async () => {
  const { alice, bob, stop } = await four();
  try {
    await alice.rooms.create("#ops");
    await alice.rooms.invite("bob", "#ops");
    await until("bob's invitation", () => bob.events.some((e) => e.type === "room-invite"));
    // Alice (a hostile or mistaken admin) lists carol with a key that is not carol's: hers.
    const aliceSigner = signerFromPrivateKey(alice.t.profile.identity);
    const held = heldBytes(alice, "#ops");
    const list = currentList(alice);
    const fakeCarol = { username: "carol", identityKey: aliceSigner.publicKey };
    const update = await signAs(alice, {
      ...list,
      version: list.version + 1,
      members: [...list.members, fakeCarol],
      previous: listHash(held),
    });
    const id = await alice.t.peer.sendContent("bob", "room/members", listUpdate(update, held));
    const failed = await alice.t.next("failed", (f) => f.id === id);
    assert.match(failed.reason, /not the one we know for carol/);
    assert.deepEqual(bob.rooms.members("#ops").map((m) => m.username).sort(), ["alice", "bob"]);
    // The same in an invitation (the first list bob sees of a room).
    const bobKey = currentList(bob).members.find((m) => m.username === "bob")!;
    const invitation = await signAs(alice, {
      ...list,
      roomId: crypto.getRandomValues(new Uint8Array(16)),
      name: "#lab",
      members: [...list.members.filter((m) => m.username !== "bob"), bobKey, fakeCarol],
    });
    const inviteId = await alice.t.peer.sendContent("bob", "room/invite", listUpdate(invitation));
    const refused = await alice.t.next("failed", (f) => f.id === inviteId);
    assert.match(refused.reason, /not the one we know for carol/);
    assert.deepEqual(bob.rooms.rooms().map((r) => r.name), ["#ops"]);
    // Carol's real key is accepted.
    await alice.rooms.invite("carol", "#ops");
    await until("bob sees carol invited", () => bob.rooms.members("#ops").length === 3);
  } finally {
    await stop();
  }
});

/**
 * #ops with alice and bob as admins and carol a member, all joined; alice's and bob's sends are
 * held until `open()` is called, and `signed` records who tried to send (so signed a list).
 */
async function twoAdmins(alice: Member, bob: Member, carol: Member) {
  await inviteTwo("#ops", alice, bob, carol);
  await bob.rooms.join("#ops");
  await carol.rooms.join("#ops");
  for (const m of [alice, bob, carol]) {
    await until("joined", () => allJoined(m, ["alice", "bob", "carol"]));
  }
  // Alice makes bob an admin too (no command does that: sign and store it by hand).
  const held = heldBytes(alice, "#ops");
  const list = currentList(alice);
  const twoAdmins = await signAs(alice, {
    ...list,
    version: list.version + 1,
    admins: ["alice", "bob"],
    previous: listHash(held),
  });
  new RoomStore(alice.t.profile.db).setList(list.roomId, twoAdmins, held, Date.now());
  for (const to of ["bob", "carol"]) {
    await alice.t.peer.sendContent(to, "room/members", listUpdate(twoAdmins, held));
  }
  await until("bob is an admin", () => currentList(bob).admins.includes("bob"));
  await until("carol sees it", () => currentList(carol).admins.includes("bob"));

  // Nothing leaves alice or bob until the test opens the gate.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  const signed = new Set<string>();
  for (const m of [alice, bob]) {
    const send = m.t.peer.sendContent.bind(m.t.peer);
    m.t.peer.sendContent = async (to, kind, payload, text) => {
      signed.add(m.t.peer.username);
      await gate;
      return await send(to, kind, payload, text);
    };
    const sendToAll = m.t.peer.sendContentToAll.bind(m.t.peer);
    m.t.peer.sendContentToAll = async (recipients, kind, payload, text) => {
      signed.add(m.t.peer.username);
      await gate;
      return await sendToAll(recipients, kind, payload, text);
    };
  }
  return { open, signed, version: list.version + 2 };
}

Deno.test("two admins change a room at once: every member ends with the same list, both changes made", async () => {
  const { alice, bob, carol, dave, stop } = await four();
  try {
    const { open, signed, version } = await twoAdmins(alice, bob, carol);
    // Both sign the next version before either sees the other's: alice invites dave while bob
    // removes carol.
    const invite = alice.rooms.invite("dave", "#ops");
    const kick = bob.rooms.kick("carol", "#ops");
    await until("both signed", () => signed.size === 2);
    assert.equal(currentList(alice).version, version);
    assert.equal(currentList(bob).version, version);
    open();
    await Promise.all([invite, kick]);

    // Whichever list won, its loser's admin made its change again: dave in, carol out.
    const settled = () =>
      [alice, bob].every((m) =>
        currentList(m).version === version + 1 &&
        currentList(m).members.map((x) => x.username).sort().join() === "alice,bob,dave"
      );
    await until("alice and bob settle", settled, 30_000);
    await until("dave holds the same list", () => {
      const row = new RoomStore(dave.t.profile.db).byName("#ops");
      return row !== undefined && currentList(dave).version === version + 1;
    }, 30_000);
    const final = heldBytes(alice, "#ops");
    assert.deepEqual(heldBytes(bob, "#ops"), final);
    assert.deepEqual(heldBytes(dave, "#ops"), final);
    await until("carol learns she was removed", () => carol.rooms.rooms()[0]!.status === "left");
    await dave.rooms.join("#ops");
    for (const m of [alice, bob, dave]) {
      await until("dave joined", () => allJoined(m, ["alice", "bob", "dave"]));
    }
    await bob.rooms.send("#ops", "settled");
    await until("dave reads bob", () => texts(dave, "bob").includes("settled"));
  } finally {
    await stop();
  }
});

Deno.test("an admin cannot race their own removal: the removing list wins at every member", async () => {
  const { alice, bob, carol, stop } = await four();
  try {
    const { open, signed, version } = await twoAdmins(alice, bob, carol);
    // Alice removes bob; bob, at the same moment, invites dave (say, an accomplice).
    const kick = alice.rooms.kick("bob", "#ops");
    const invite = bob.rooms.invite("dave", "#ops");
    await until("both signed", () => signed.size === 2);
    open();
    await Promise.all([kick, invite]);
    await until("carol holds alice's list", () => currentList(carol).version === version);
    await until("bob learns he was removed", () => bob.rooms.rooms()[0]!.status === "left");
    assert.deepEqual(heldBytes(carol, "#ops"), heldBytes(alice, "#ops"));
    assert.deepEqual(currentList(carol).members.map((m) => m.username).sort(), ["alice", "carol"]);
    await alice.rooms.send("#ops", "bob is out");
    await until("carol reads it", () => texts(carol, "alice").includes("bob is out"));
    assert.ok(!texts(bob, "alice").includes("bob is out"));
  } finally {
    await stop();
  }
});

Deno.test("joining a room: those already in it are not announced as joining; a later joiner is", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await member(address, "alice");
  const bob = await member(address, "bob");
  const carol = await member(address, "carol");
  const joinedNotices = (m: Member) =>
    m.events.flatMap((e) => e.type === "room-notice" && / joined$/.test(e.text) ? [e.text] : []);
  try {
    await inviteTwo("#ops", alice, bob, carol);
    await bob.rooms.join("#ops");
    await until("alice sees bob joined", () => joinedNotices(alice).includes("bob joined"));
    await until(
      "bob holds alice's key",
      () => bob.rooms.members("#ops").find((x) => x.username === "alice")?.joined === true,
    );
    // A first chain's generation is in seconds: let carol's join fall in a later second.
    await new Promise((r) => setTimeout(r, 1100));
    await carol.rooms.join("#ops");
    await until("bob sees carol joined", () => joinedNotices(bob).includes("carol joined"));
    await until("carol holds everyone's keys", () => allJoined(carol, ["alice", "bob", "carol"]));
    assert.deepEqual(joinedNotices(bob), ["carol joined"], "alice was there before bob");
    // bob did join while carol was only invited; alice, who invited her, was there all along.
    assert.ok(!joinedNotices(carol).includes("alice joined"), "alice was there before carol");
  } finally {
    await stopAll(alice.t, bob.t, carol.t, rendezvous);
  }
});
