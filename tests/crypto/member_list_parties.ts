/** The parties and lists the member list tests start from. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { MemberList } from "../../src/crypto/member_list.ts";
import { type Signer, signerFromPrivateKey } from "../../src/crypto/primitives.ts";

/** A fresh Ed25519 signer. */
async function signer(): Promise<Signer> {
  return signerFromPrivateKey(await generateKeyPair("Ed25519"));
}

/** The room id of the lists setup() makes. */
const ROOM = new Uint8Array(16).fill(3);

/**
 * Alice, bob, carol and a rendezvous key, and #ops at version 1 (alice alone, creator and admin)
 * and version 2 (bob and carol added).
 */
export async function setup() {
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
