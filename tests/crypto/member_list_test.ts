import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import {
  chooseMemberList,
  concurrentWinner,
  listHash,
  type MemberList,
  MemberListError,
  openMemberList,
  peekMemberList,
  rebaseMemberList,
  type SignedList,
  signMemberList,
} from "../../src/crypto/member_list.ts";
import { toHex } from "../../src/crypto/bytes.ts";
import { concat, type Signer, signerFromPrivateKey } from "../../src/crypto/primitives.ts";
import { MemberListBody, SignedMemberList } from "../../src/proto/room.ts";
import { flipBit } from "./parties.ts";

async function signer(): Promise<Signer> {
  return signerFromPrivateKey(await generateKeyPair("Ed25519"));
}

const ROOM = new Uint8Array(16).fill(3);

async function setup() {
  const alice = await signer();
  const bob = await signer();
  const carol = await signer();
  const rendezvous = await signer();
  const v1: MemberList = {
    roomId: ROOM,
    name: "#ops",
    version: 1,
    creator: "alice",
    admins: ["alice"],
    members: [{ username: "alice", identityKey: alice.publicKey }],
    issuedAt: 1000,
    previous: new Uint8Array(0),
  };
  const v2: MemberList = {
    ...v1,
    version: 2,
    members: [
      ...v1.members,
      { username: "bob", identityKey: bob.publicKey },
      { username: "carol", identityKey: carol.publicKey },
    ],
  };
  return { alice, bob, carol, rendezvous, v1, v2 };
}

Deno.test("the creator's list and an admin's next version are accepted", async () => {
  const { alice, v1, v2 } = await setup();
  const first = await openMemberList(await signMemberList(alice, "alice", v1));
  assert.equal(first.signer, "alice");
  assert.deepEqual(first.list, v1);
  const second = await openMemberList(await signMemberList(alice, "alice", v2), first.list);
  assert.deepEqual(second.list.members.map((m) => m.username), ["alice", "bob", "carol"]);
});

Deno.test("forged lists are rejected: a non-admin, the rendezvous, a replay, a bit flip", async () => {
  const { alice, carol, rendezvous, v2 } = await setup();
  const current = (await openMemberList(await signMemberList(alice, "alice", v2), undefined)).list;
  const withoutBob: MemberList = {
    ...v2,
    version: 3,
    members: v2.members.filter((m) => m.username !== "bob"),
  };
  // Carol makes herself admin in her own list and signs it: not an admin of the current list.
  const carolAdmin = { ...withoutBob, admins: ["alice", "carol"] };
  await assert.rejects(
    openMemberList(await signMemberList(carol, "carol", carolAdmin), current),
    /carol is not a room admin/,
  );
  // The rendezvous claims to be alice: the signature is not alice's key.
  const dave = { username: "dave", identityKey: rendezvous.publicKey };
  const withDave = { ...v2, version: 3, members: [...v2.members, dave], admins: ["dave"] };
  const asDave = await signMemberList(rendezvous, "dave", withDave);
  await assert.rejects(openMemberList(asDave, current), /dave is not a room admin/);
  const forgedAlice = await signMemberList(
    rendezvous,
    "alice",
    {
      ...withDave,
      admins: ["alice"],
      members: withDave.members.map((m) =>
        m.username === "alice" ? { ...m, identityKey: rendezvous.publicKey } : m
      ),
    },
  );
  await assert.rejects(openMemberList(forgedAlice, current), /not signed by alice/);
  // A replay of an older (or the same) version.
  const v3 = await signMemberList(alice, "alice", withoutBob);
  const accepted = (await openMemberList(v3, current)).list;
  await assert.rejects(
    openMemberList(await signMemberList(alice, "alice", v2), accepted),
    /version 2 is not newer than 3/,
  );
  await assert.rejects(openMemberList(v3, accepted), /version 3 is not newer than 3/);
  // Another room.
  await assert.rejects(
    openMemberList(
      await signMemberList(alice, "alice", { ...v2, roomId: new Uint8Array(16), version: 9 }),
      current,
    ),
    /another room/,
  );
  // Altered bytes.
  for (let bit = 0; bit < v3.length * 8; bit += 11) {
    await assert.rejects(openMemberList(flipBit(v3, bit), current), MemberListError);
  }
});

Deno.test("a first list: version 1 only by the creator, later versions only by their own admin", async () => {
  const { alice, bob, v1, v2 } = await setup();
  const bobList = { ...v2, version: 1, admins: ["bob"] };
  await assert.rejects(
    openMemberList(await signMemberList(bob, "bob", bobList)),
    /version 1 is not signed by the creator/,
  );
  const carolView = await openMemberList(await signMemberList(alice, "alice", v2));
  assert.equal(carolView.list.version, 2);
  assert.equal(peekMemberList(await signMemberList(alice, "alice", v1)).list.name, "#ops");
});

Deno.test("malformed lists cannot be signed", async () => {
  const { alice, bob, v1 } = await setup();
  await assert.rejects(signMemberList(bob, "alice", v1), /alice is not an admin/);
  await assert.rejects(signMemberList(alice, "alice", { ...v1, name: "ops" }), RangeError);
  await assert.rejects(signMemberList(alice, "alice", { ...v1, admins: ["zed"] }), RangeError);
  await assert.rejects(
    signMemberList(alice, "alice", { ...v1, members: [...v1.members, ...v1.members] }),
    /listed twice/,
  );
});

/**
 * Version 2 with alice and bob as admins and carol a member (P), and two admins' concurrent
 * versions 3 replacing it: alice's `a` and bob's `b`, from the changes given.
 */
async function fork(
  change: { a: (p: MemberList) => MemberList; b: (p: MemberList) => MemberList },
) {
  const parties = await setup();
  const { alice, bob, v2 } = parties;
  const p: MemberList = { ...v2, admins: ["alice", "bob"] };
  const parent = await signMemberList(alice, "alice", p);
  const next = (list: MemberList): MemberList => ({
    ...list,
    version: 3,
    previous: listHash(parent),
  });
  const a = await signMemberList(alice, "alice", next(change.a(p)));
  const b = await signMemberList(bob, "bob", next(change.b(p)));
  return { ...parties, p, parent, a, b };
}

const dave = { username: "dave", identityKey: new Uint8Array(32).fill(9) };
const addDave = (p: MemberList): MemberList => ({ ...p, members: [...p.members, dave] });
const drop = (name: string) => (p: MemberList): MemberList => ({
  ...p,
  admins: p.admins.filter((a) => a !== name),
  members: p.members.filter((m) => m.username !== name),
});

/** What a member holding `held` (which replaced `parent`) keeps when `incoming` arrives. */
async function kept(
  held: Uint8Array,
  parent: Uint8Array | undefined,
  incoming: Uint8Array,
  sentParent?: Uint8Array,
): Promise<Uint8Array> {
  const choice = await chooseMemberList(
    { current: held, ...(parent ? { parent } : {}) },
    incoming,
    sentParent,
  );
  return choice.take ? choice.opened.bytes : held;
}

Deno.test("concurrent lists: every member keeps the same one, whichever arrived first", async () => {
  // Alice adds dave while bob removes carol, both from version 2.
  const { parent, a, b } = await fork({ a: addDave, b: drop("carol") });
  const heldA = await kept(a, parent, b, parent);
  const heldB = await kept(b, parent, a, parent);
  assert.deepEqual(heldA, heldB);
  // The lower hash wins; with the parent known only from the update (an invited member) too.
  const lower = toHex(listHash(a)) < toHex(listHash(b)) ? a : b;
  assert.deepEqual(heldA, lower);
  assert.deepEqual(await kept(a, undefined, b, parent), lower);
  assert.deepEqual(await kept(b, undefined, a, parent), lower);
});

Deno.test("concurrent lists: an admin cannot race their own removal", async () => {
  // Alice removes bob; bob, at the same time, adds dave. Alice's list wins in every order,
  // whatever the hashes say; bob's list at the same version is dropped.
  for (let i = 0; i < 4; i++) {
    const { parent, a, b } = await fork({ a: drop("bob"), b: addDave });
    assert.deepEqual(await kept(a, parent, b, parent), a);
    assert.deepEqual(await kept(b, parent, a, parent), a);
  }
  // Each removes the other: the hash decides, alike everywhere.
  const mutual = await fork({ a: drop("bob"), b: drop("alice") });
  const winner = await kept(mutual.a, mutual.parent, mutual.b, mutual.parent);
  assert.deepEqual(await kept(mutual.b, mutual.parent, mutual.a, mutual.parent), winner);
});

Deno.test("concurrent lists: the loser's change is made again on the winner, and taken", async () => {
  const { alice, bob, p, parent, a, b } = await fork({ a: addDave, b: drop("carol") });
  const open = async (bytes: Uint8Array): Promise<SignedList> => await openMemberList(bytes, p);
  const [sa, sb] = [await open(a), await open(b)];
  const winner = concurrentWinner(sa, sb);
  assert.equal(concurrentWinner(sb, sa), winner);
  const loser = winner === sa ? sb : sa;
  const rebased = rebaseMemberList(p, loser.list, winner.list, loser.signer, 2000)!;
  assert.equal(rebased.version, 4);
  assert.deepEqual(rebased.members.map((m) => m.username).sort(), ["alice", "bob", "dave"]);
  const signs = loser.signer === "alice" ? alice : bob;
  const next = await signMemberList(signs, loser.signer, {
    ...rebased,
    previous: listHash(winner.bytes),
  });
  // A member holding the winner takes it as the next version …
  assert.deepEqual(await kept(winner.bytes, parent, next, winner.bytes), next);
  // … and so does one still holding the loser, checking the winner it was sent with.
  assert.deepEqual(await kept(loser.bytes, parent, next, winner.bytes), next);
  // Nothing to make again once the winner holds the change.
  assert.equal(rebaseMemberList(p, loser.list, rebased, loser.signer, 3000), undefined);
});

Deno.test("concurrent lists: a list built on the loser, or with a forged parent, is refused", async () => {
  const { alice, bob, carol, p, parent, a, b } = await fork({ a: drop("bob"), b: addDave });
  // Bob, removed by alice's winning list, goes on from his own losing one.
  const onLoser = await signMemberList(bob, "bob", {
    ...peekMemberList(b).list,
    version: 4,
    members: [...peekMemberList(b).list.members, { ...dave, username: "eve" }],
    previous: listHash(b),
  });
  const choice = await chooseMemberList({ current: a, parent }, onLoser, b);
  assert.deepEqual(choice, { take: false, why: "lost" });
  // A concurrent list sent with a parent that is not the one ours replaced.
  const otherParent = await signMemberList(alice, "alice", { ...p, issuedAt: 5 });
  assert.deepEqual(await chooseMemberList({ current: a }, b, otherParent), {
    take: false,
    why: "unplaced",
  });
  // A list one version on whose parent is not the list it names.
  await assert.rejects(chooseMemberList({ current: a, parent }, onLoser, a), /another list/);
  // A concurrent list signed by someone who was not an admin of the parent.
  const carolList = await signMemberList(carol, "carol", {
    ...p,
    version: 3,
    admins: ["carol"],
    previous: listHash(parent),
  });
  await assert.rejects(
    chooseMemberList({ current: a, parent }, carolList, parent),
    /carol is not a room admin/,
  );
});

/** `list` with every name qualified as `name@server`. */
function at(list: MemberList, server: (name: string) => string): MemberList {
  const q = (name: string) => `${name}@${server(name)}`;
  return {
    ...list,
    creator: q(list.creator),
    admins: list.admins.map(q),
    members: list.members.map((m) => ({ ...m, username: q(m.username) })),
  };
}

const homes = (name: string) => name === "bob" ? "work" : "home";

Deno.test("format 2: a list naming members of several nodes, qualified, is signed and opened as such", async () => {
  const { alice, v1, v2 } = await setup();
  const first = await openMemberList(await signMemberList(alice, "alice@home", at(v1, homes)));
  assert.equal(first.signer, "alice@home");
  const signed = await signMemberList(alice, "alice@home", at(v2, homes));
  const second = await openMemberList(signed, first.list, "work");
  assert.deepEqual(second.list.members.map((m) => m.username), [
    "alice@home",
    "bob@work",
    "carol@home",
  ]);
  assert.deepEqual(peekMemberList(signed, "anywhere").list, at(v2, homes), "read alike anywhere");
});

Deno.test("format 2: a list mixing bare and qualified names cannot be signed, nor a bare signer", async () => {
  const { alice, bob, v2 } = await setup();
  const mixed = {
    ...at(v2, homes),
    members: [...at(v2, homes).members.slice(0, 2), v2.members[2]!],
  };
  await assert.rejects(signMemberList(alice, "alice@home", mixed), /"carol" is not a qualified/);
  await assert.rejects(
    signMemberList(alice, "alice@home", { ...at(v2, homes), creator: "alice" }),
    RangeError,
  );
  // Signed as bob (qualified) in a format-2 list where bob is no admin.
  await assert.rejects(signMemberList(bob, "bob@work", at(v2, homes)), /not an admin/);
});

Deno.test("format 1 (bare names, made before federation) reads with the reader's home qualified, so its chain goes on in format 2", async () => {
  const { alice, v2 } = await setup();
  const old = await signMemberList(alice, "alice", v2);
  assert.deepEqual(peekMemberList(old).list, v2, "without a home: as signed");
  const read = await openMemberList(old, undefined, "home");
  assert.equal(read.signer, "alice@home");
  assert.deepEqual(read.list, at(v2, () => "home"));
  // The next version, in format 2, is checked against the old list read with the home.
  const next = await signMemberList(alice, "alice@home", {
    ...at(v2, () => "home"),
    version: 3,
    previous: listHash(old),
  });
  const choice = await chooseMemberList({ current: old }, next, undefined, "home");
  assert.ok(choice.take);
  assert.equal(choice.opened.signer, "alice@home");
  // Without the home the old names do not match: refused, not misread.
  await assert.rejects(chooseMemberList({ current: old }, next), /alice@home is not a room admin/);
});

Deno.test("a member list of an unknown format is refused", async () => {
  const { alice, v1 } = await setup();
  const signed = SignedMemberList.decode(await signMemberList(alice, "alice", v1));
  const body = MemberListBody.decode(signed.body);
  const future = MemberListBody.encode({ ...body, format: 3 });
  const bytes = SignedMemberList.encode({
    ...signed,
    body: future,
    signature: await alice.sign(
      concat(new TextEncoder().encode("tincan-member-list-v1"), Uint8Array.of(0), future),
    ),
  });
  assert.throws(() => peekMemberList(bytes), /format 3 is not supported/);
});
