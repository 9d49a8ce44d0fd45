import assert from "node:assert/strict";
import {
  listHash,
  type MemberList,
  openMemberList,
  peekMemberList,
  type SignedList,
  signMemberList,
} from "../../src/crypto/member_list.ts";
import {
  chooseMemberList,
  concurrentWinner,
  rebaseMemberList,
} from "../../src/crypto/member_list_choice.ts";
import { toHex } from "../../src/crypto/bytes.ts";
import { setup } from "./member_list_parties.ts";

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
