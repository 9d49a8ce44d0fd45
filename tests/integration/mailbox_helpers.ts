/** Helpers of the mailbox tests: sealed test envelopes and a look at the rendezvous's mail table. */
import type { PrivateKey } from "@libp2p/interface";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { newMessageId, sealEnvelope } from "../../src/crypto/envelope.ts";
import { signerFromPrivateKey } from "../../src/crypto/primitives.ts";
import { HEADER_BYTES } from "../../src/crypto/ratchet.ts";

/**
 * A validly signed envelope from `sender` to `recipientKey` with `size` bytes of ciphertext and
 * the message id `messageId` (a new one unless given).
 */
export async function testEnvelope(
  sender: PrivateKey,
  recipientKey: Uint8Array,
  size = 32,
  messageId: Uint8Array = newMessageId(),
): Promise<Uint8Array> {
  const signer = signerFromPrivateKey(sender);
  return await sealEnvelope(signer, {
    sender: signer.publicKey,
    recipient: recipientKey,
    messageId,
    timestamp: Date.now(),
    ratchetHeader: new Uint8Array(HEADER_BYTES),
    ciphertext: crypto.getRandomValues(new Uint8Array(size)),
  });
}

/** How many mails the rendezvous in `dataDir` holds for `recipient` (read-only look). */
export function mailCount(dataDir: string, recipient: string): number {
  const db = new DatabaseSync(join(dataDir, "rendezvous.db"), { readOnly: true });
  try {
    const row = db.prepare("SELECT count(*) AS n FROM mailbox WHERE recipient = ?").get(
      recipient,
    ) as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}
