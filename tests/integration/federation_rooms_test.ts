/**
 * Rooms across federated rendezvous nodes: alice@home's room with bob@work and carol@home. The
 * signed member list names everyone qualified; each member shows the names of its own node.
 * Messages, sender keys and list updates to bob go the ordinary way (direct, or mail forwarded
 * to work); a removed or departed bob@work reads nothing after.
 */
import assert from "node:assert/strict";
import { peekMemberList } from "../../src/crypto/member_list.ts";
import { RoomStore } from "../../src/peer/store/rooms.ts";
import { twoNodes } from "./federation_helpers.ts";
import { stopAll } from "./harness.ts";
import { allJoined, type Member, member, texts, until } from "./room_members.ts";

/** The names #ops's signed list (held by `m`) gives its members. */
function signedNames(m: Member): string[] {
  const row = new RoomStore(m.t.profile.db).byName("#ops")!;
  return peekMemberList(row.list).list.members.map((x) => x.username).sort();
}

Deno.test("federation rooms: alice@home, bob@work and carol@home talk in one room; a kicked bob@work reads nothing after", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await member(home.address, "alice");
  const carol = await member(home.address, "carol");
  const bob = await member(work.address, "bob");
  try {
    await alice.rooms.create("#ops");
    await alice.rooms.invite("Bob@Work", "#ops");
    await alice.rooms.invite("carol@home", "#ops");
    await until("invitations", () => [bob, carol].every((m) => m.rooms.rooms().length === 1));
    assert.deepEqual(
      bob.events.find((e) => e.type === "room-invite"),
      { type: "room-invite", room: "#ops", from: "alice@home" },
    );
    await bob.rooms.join("#ops");
    await carol.rooms.join("#ops");
    await until("alice sees all", () => allJoined(alice, ["alice", "bob@work", "carol"]));
    await until("carol sees all", () => allJoined(carol, ["alice", "bob@work", "carol"]));
    await until("bob sees all", () => allJoined(bob, ["alice@home", "bob", "carol@home"]));
    // Every member holds the same names in the signed list, qualified with their homes.
    for (const m of [alice, bob, carol]) {
      assert.deepEqual(signedNames(m), ["alice@home", "bob@work", "carol@home"]);
    }

    await alice.rooms.send("#ops", "a1");
    await bob.rooms.send("#ops", "b1");
    await carol.rooms.send("#ops", "c1");
    await until(
      "bob reads",
      () => texts(bob, "alice@home").length + texts(bob, "carol@home").length === 2,
    );
    await until(
      "alice reads",
      () => texts(alice, "bob@work").length + texts(alice, "carol").length === 2,
    );
    await until(
      "carol reads",
      () => texts(carol, "alice").length + texts(carol, "bob@work").length === 2,
    );
    assert.deepEqual(texts(bob, "alice@home"), ["a1"]);
    assert.deepEqual(texts(bob, "carol@home"), ["c1"]);
    assert.deepEqual(texts(alice, "bob@work"), ["b1"]);
    assert.deepEqual(texts(carol, "bob@work"), ["b1"]);

    await alice.rooms.kick("bob@work", "#ops");
    await until("bob is told", () => bob.rooms.rooms()[0]?.status === "left");
    assert.ok(
      bob.events.some((e) => e.type === "room-notice" && /alice@home removed you/.test(e.text)),
    );
    await until("carol sees bob gone", () => allJoined(carol, ["alice", "carol"]));
    await alice.rooms.send("#ops", "after the kick");
    await until("carol reads it", () => texts(carol, "alice").includes("after the kick"));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!texts(bob, "alice@home").includes("after the kick"));
  } finally {
    await stopAll(alice.t, bob.t, carol.t, homeNode, workNode);
  }
});

Deno.test("federation rooms: an offline bob@work reads the room by forwarded mail; after he leaves he reads nothing", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await member(home.address, "alice");
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  let bob = await member(work.address, "bob", { profileDir: bobDir });
  try {
    await alice.rooms.create("#ops");
    await alice.rooms.invite("bob@work", "#ops");
    await until("bob's invitation", () => bob.rooms.rooms().length === 1);
    await bob.rooms.join("#ops");
    await until("alice sees bob joined", () => allJoined(alice, ["alice", "bob@work"]));
    await until("bob sees alice", () => allJoined(bob, ["alice@home", "bob"]));

    await bob.t.stop();
    const [id] = await alice.rooms.send("#ops", "while you were out");
    const queued = await alice.t.next("queued", (q) => q.id === id, 30_000);
    assert.equal(queued.queuedFor, undefined, "work's mailbox took it");
    bob = await member(work.address, "bob", { profileDir: bobDir });
    await until(
      "bob reads it from his mailbox",
      () => texts(bob, "alice@home").includes("while you were out"),
    );

    await bob.rooms.leave("#ops");
    await until("alice signs bob out", () => allJoined(alice, ["alice"]));
    assert.ok(alice.events.some((e) => e.type === "room-notice" && e.text === "bob@work left"));
    await alice.rooms.send("#ops", "after you left");
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(texts(bob, "alice@home"), ["while you were out"]);
  } finally {
    await stopAll(alice.t, bob.t, homeNode, workNode);
  }
});
