import assert from "node:assert/strict";
import type { MemberList } from "../../../src/crypto/member_list.ts";
import {
  localList,
  localName,
  localSignedList,
  qualifiedList,
  qualifiedName,
} from "../../../src/peer/rooms/list_names.ts";

const KEY = new Uint8Array(32).fill(7);

function list(names: string[]): MemberList {
  return {
    roomId: new Uint8Array(16),
    name: "#ops",
    version: 1,
    creator: names[0]!,
    admins: [names[0]!],
    members: names.map((username) => ({ username, identityKey: KEY })),
    issuedAt: 0,
    previous: new Uint8Array(0),
  };
}

Deno.test("list names: a signed name is shown as its reader's node names it", () => {
  assert.equal(localName("alice@home", "home"), "alice");
  assert.equal(localName("alice@home", "work"), "alice@home");
  assert.equal(localName("bob@work", "home"), "bob@work");
  assert.equal(localName("bob@work", "WORK"), "bob", "the home's name is folded");
  assert.equal(localName("bob", undefined), "bob", "no home known: as it is");
});

Deno.test("list names: a shown name is signed qualified with its home", () => {
  assert.equal(qualifiedName("alice", "home"), "alice@home");
  assert.equal(qualifiedName("bob@work", "home"), "bob@work");
  assert.equal(qualifiedName("alice", undefined), "alice", "no home known: bare (format 1)");
});

Deno.test("list names: every member, admin and the creator agree on one signed form from any node", () => {
  const atHome = list(["alice", "bob@work", "carol"]);
  const atWork = list(["alice@home", "bob", "carol@home"]);
  const signed = list(["alice@home", "bob@work", "carol@home"]);
  assert.deepEqual(qualifiedList(atHome, "home"), signed);
  assert.deepEqual(qualifiedList(atWork, "work"), signed);
  assert.deepEqual(localList(signed, "home"), atHome);
  assert.deepEqual(localList(signed, "work"), atWork);
  assert.deepEqual(localList(signed, "elsewhere"), signed);
  const opened = { list: signed, signer: "alice@home", bytes: new Uint8Array(0) };
  assert.deepEqual(localSignedList(opened, "work"), { ...opened, list: atWork });
  assert.equal(localSignedList(opened, "home").signer, "alice");
});
