import assert from "node:assert/strict";
import { newMessageId, sealEnvelope } from "../../../src/crypto/envelope.ts";
import {
  type Certification,
  checkEnvelope,
  judgeSender,
} from "../../../src/peer/messaging/incoming_decision.ts";
import type { KeyStanding } from "../../../src/peer/trust.ts";
import { flipBit, makeParty, type Party } from "../../crypto/parties.ts";

const alice = await makeParty();
const bob = await makeParty();
const mallory = await makeParty();

/** An envelope `from` signs for the key `to` (a placeholder ratchet message inside). */
function sealFrom(from: Party, to: Uint8Array): Promise<Uint8Array> {
  const ratchet = { ratchetHeader: new Uint8Array(40).fill(3), ciphertext: new Uint8Array(30) };
  return sealEnvelope(from.signer, {
    ...ratchet,
    sender: from.identityKey,
    recipient: to,
    messageId: newMessageId(),
    timestamp: 1_700_000_000_000,
  });
}

/** A current certification of "alice" for `identityKey`. */
function aliceCertified(identityKey: Uint8Array, standing: KeyStanding): Certification {
  return { certified: true, username: "alice", identityKey, standing };
}

/** checkEnvelope as bob: from the linked `sender` (none for mail). */
function asBob(sealed: Uint8Array, sender: Uint8Array | undefined) {
  return checkEnvelope(sealed, { recipient: bob.identityKey, ...(sender ? { sender } : {}) });
}

Deno.test("checkEnvelope: a signed envelope for us from the linked sender is opened", async () => {
  const sealed = await sealFrom(alice, bob.identityKey);
  const direct = await asBob(sealed, alice.identityKey);
  assert.equal(direct.verdict, "open");
  const mail = await asBob(sealed, undefined);
  assert.equal(mail.verdict, "open");
});

Deno.test("checkEnvelope: a bad signature is rejected", async () => {
  const sealed = await sealFrom(alice, bob.identityKey);
  const tampered = flipBit(sealed, sealed.length * 8 - 3); // inside the signature
  for (const sender of [alice.identityKey, undefined]) {
    const verdict = await asBob(tampered, sender);
    assert.equal(verdict.verdict, "reject");
    assert.match(
      verdict.verdict === "reject" ? verdict.reason : "",
      /not signed by|signature does not verify/,
    );
  }
});

Deno.test("checkEnvelope: an envelope signed by another key than the linked peer's is rejected", async () => {
  const verdict = await asBob(await sealFrom(mallory, bob.identityKey), alice.identityKey);
  assert.equal(verdict.verdict, "reject");
});

Deno.test("checkEnvelope: an envelope for someone else is rejected", async () => {
  const verdict = await asBob(await sealFrom(alice, mallory.identityKey), undefined);
  assert.equal(verdict.verdict, "reject");
  assert.match(verdict.verdict === "reject" ? verdict.reason : "", /addressed to another identity/);
});

Deno.test("judgeSender: even the pinned key needs a current certificate for the claimed name", () => {
  const claimed = "alice";
  const senderKey = alice.identityKey;
  assert.deepEqual(judgeSender({ claimed, senderKey, pinnedKey: alice.identityKey }), {
    verdict: "certify",
  });
  // A certification of another name does not count for this one.
  const ofBob = { ...aliceCertified(senderKey, "new"), username: "bob" };
  assert.equal(
    judgeSender({ claimed, senderKey, pinnedKey: senderKey, certification: ofBob }).verdict,
    "certify",
  );
  const current = aliceCertified(senderKey, "trusted");
  assert.deepEqual(
    judgeSender({ claimed, senderKey, pinnedKey: senderKey, certification: current }),
    { verdict: "accept" },
  );
});

Deno.test("judgeSender: the pinned key, retired from the account (a stolen device), is rejected", () => {
  // alice moved her account to a new key; the thief still has the old, pinned one.
  const verdict = judgeSender({
    claimed: "alice",
    senderKey: mallory.identityKey,
    pinnedKey: mallory.identityKey,
    certification: aliceCertified(alice.identityKey, "changed"),
  });
  assert.equal(verdict.verdict, "reject");
  assert.match(
    verdict.verdict === "reject" ? verdict.reason : "",
    /account moved to another key: this key was retired/,
  );
  // A rendezvous that certifies a retired key again does not get it accepted either.
  const again = judgeSender({
    claimed: "alice",
    senderKey: mallory.identityKey,
    certification: aliceCertified(mallory.identityKey, "retired"),
  });
  assert.equal(again.verdict, "reject");
  assert.match(again.verdict === "reject" ? again.reason : "", /retired from alice's account/);
});

Deno.test("judgeSender: an unknown or different key needs the certificate first", () => {
  const senderKey = alice.identityKey;
  assert.equal(judgeSender({ claimed: "alice", senderKey }).verdict, "certify");
  assert.equal(
    judgeSender({ claimed: "alice", senderKey, pinnedKey: mallory.identityKey }).verdict,
    "certify",
  );
});

Deno.test("judgeSender: a certified first key is accepted", () => {
  const verdict = judgeSender({
    claimed: "alice",
    senderKey: alice.identityKey,
    certification: aliceCertified(alice.identityKey, "new"),
  });
  assert.equal(verdict.verdict, "accept");
});

Deno.test("judgeSender: a certified key that is not the pinned one is held (key change)", () => {
  const verdict = judgeSender({
    claimed: "alice",
    senderKey: alice.identityKey,
    pinnedKey: mallory.identityKey,
    certification: aliceCertified(alice.identityKey, "changed"),
  });
  assert.deepEqual(verdict, { verdict: "hold" });
});

Deno.test("judgeSender: a verified contact's changed key is blocked", () => {
  const verdict = judgeSender({
    claimed: "alice",
    senderKey: alice.identityKey,
    pinnedKey: mallory.identityKey,
    certification: aliceCertified(alice.identityKey, "blocked"),
  });
  assert.equal(verdict.verdict, "reject");
  assert.equal(verdict.verdict === "reject" && verdict.blocked, true);
});

Deno.test("judgeSender: mallory claiming to be alice is rejected (the rendezvous certifies another key)", () => {
  const verdict = judgeSender({
    claimed: "alice",
    senderKey: mallory.identityKey,
    certification: aliceCertified(alice.identityKey, "trusted"),
  });
  assert.equal(verdict.verdict, "reject");
  assert.match(verdict.verdict === "reject" ? verdict.reason : "", /does not certify this key/);
});

Deno.test("judgeSender: a failed certificate lookup rejects", () => {
  const verdict = judgeSender({
    claimed: "alice",
    senderKey: alice.identityKey,
    certification: { certified: false, username: "alice", reason: "E_NOT_FOUND" },
  });
  assert.equal(verdict.verdict, "reject");
  assert.match(verdict.verdict === "reject" ? verdict.reason : "", /cannot check alice/);
});
