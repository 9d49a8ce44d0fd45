import assert from "node:assert/strict";
import {
  listHash,
  type MemberList,
  MemberListError,
  openMemberList,
  peekMemberList,
  signMemberList,
} from "../../src/crypto/member_list.ts";
import { chooseMemberList } from "../../src/crypto/member_list_choice.ts";
import { concat } from "../../src/crypto/primitives.ts";
import { MemberListBody, SignedMemberList } from "../../src/proto/room.ts";
import { setup } from "./member_list_parties.ts";
import { flipBit } from "./parties.ts";

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
