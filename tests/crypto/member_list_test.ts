import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import {
  type MemberList,
  MemberListError,
  openMemberList,
  peekMemberList,
  signMemberList,
} from "../../src/crypto/member_list.ts";
import { type Signer, signerFromPrivateKey } from "../../src/crypto/primitives.ts";
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
