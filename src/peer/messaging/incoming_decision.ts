/**
 * The pure decisions about a received envelope, apart from the I/O around them: whether to open
 * it at all (signature, recipient), and whether to trust its sender (a current
 * rendezvous certificate of the username inside, judged against the pinned key) — accept, hold
 * our messages to a changed key, or reject.
 */
import { bytesEqual } from "../../crypto/bytes.ts";
import { type Envelope, EnvelopeError, openEnvelope } from "../../crypto/envelope.ts";
import type { KeyStanding } from "../trust.ts";

/**
 * What to do with a sealed envelope before decrypting it. Whether it is a resend of one stored
 * already is asked later, under its sender's lock (incoming.ts).
 */
export type EnvelopeVerdict =
  | { readonly verdict: "open"; readonly envelope: Envelope }
  | { readonly verdict: "reject"; readonly reason: string };

/** Who an envelope must be from and to. */
export interface EnvelopeExpectation {
  /** Our identity key: the only recipient we accept. */
  readonly recipient: Uint8Array;
  /**
   * The Noise-authenticated sender of a chat stream, whose key must have signed it; undefined
   * for mail, which is checked against the sender key it names.
   */
  readonly sender?: Uint8Array;
}

/**
 * Checks the signature, size and recipient of `bytes`. Computes only (signature checks); touches
 * no network and no store.
 */
export async function checkEnvelope(
  bytes: Uint8Array,
  expect: EnvelopeExpectation,
): Promise<EnvelopeVerdict> {
  let envelope: Envelope;
  try {
    envelope = await openEnvelope(bytes, expect.sender, expect.recipient);
  } catch (err: unknown) {
    if (err instanceof EnvelopeError) return { verdict: "reject", reason: err.message };
    throw err;
  }
  return { verdict: "open", envelope };
}

/** What the rendezvous said about the username a message claims to be from. */
export type Certification =
  | {
    readonly certified: true;
    /** Whose certificate this is. */
    readonly username: string;
    readonly identityKey: Uint8Array;
    readonly standing: KeyStanding;
    /** What is wrong with the key log behind it, if anything. */
    readonly warning?: string;
  }
  /** The lookup was refused or the certificate does not verify. */
  | { readonly certified: false; readonly username: string; readonly reason: string };

/** What is known of a decrypted message's sender when judging it. */
export interface SenderFacts {
  /** The username inside the content (normalized). */
  readonly claimed: string;
  /** The key that signed the envelope. */
  readonly senderKey: Uint8Array;
  /** The identity key pinned for `claimed`, if it is a contact. */
  readonly pinnedKey?: Uint8Array;
  /** A current certification (not expired), once asked for. */
  readonly certification?: Certification;
}

/** Whether to accept a message from its sender. */
export type SenderVerdict =
  /** The sender is who it says: a current certificate binds its key to `claimed`, pinned or new. */
  | { readonly verdict: "accept" }
  /**
   * Certified, but not the pinned key: show it as from an untrusted key, hold our messages to
   * `claimed` until /trust.
   */
  | { readonly verdict: "hold"; readonly warning?: string }
  /** Not certified for this key (retired, stolen, another user's), or `blocked`. */
  | { readonly verdict: "reject"; readonly reason: string; readonly blocked: boolean }
  /** No current certificate of `claimed` yet: ask the rendezvous for it. */
  | { readonly verdict: "certify" };

/**
 * Judges a message's sender: its key must be the one a current certificate binds to the claimed
 * username — even when it is the pinned key, which may have been retired from the account since
 * (a stolen device) — and not a key retired from it.
 */
export function judgeSender(facts: SenderFacts): SenderVerdict {
  const { claimed, senderKey, pinnedKey, certification } = facts;
  if (certification === undefined || certification.username !== claimed) {
    return { verdict: "certify" };
  }
  if (!certification.certified) {
    const reason = `cannot check ${claimed}'s certificate: ${certification.reason}`;
    return { verdict: "reject", reason, blocked: false };
  }
  if (!bytesEqual(certification.identityKey, senderKey)) {
    const reason = pinnedKey !== undefined && bytesEqual(pinnedKey, senderKey)
      ? `${claimed}'s account moved to another key: this key was retired from it`
      : `the rendezvous does not certify this key for ${claimed}`;
    return { verdict: "reject", reason, blocked: false };
  }
  if (certification.standing === "retired") {
    const reason = `this key was retired from ${claimed}'s account and is not accepted again`;
    return { verdict: "reject", reason, blocked: false };
  }
  if (certification.standing === "blocked") {
    const reason = `${claimed} is verified and its key changed: blocked`;
    return { verdict: "reject", reason, blocked: true };
  }
  if (certification.standing === "changed") {
    const { warning } = certification;
    return warning === undefined ? { verdict: "hold" } : { verdict: "hold", warning };
  }
  return { verdict: "accept" };
}
