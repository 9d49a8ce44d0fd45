/**
 * Issues what the rendezvous vouches for, signed with its node key: user certificates and the
 * entries of each account's key log.
 */
import type { PrivateKey } from "@libp2p/interface";
import { issueCertificate, signKeyLogEntry, statementHash } from "../crypto/statements.ts";
import type { AccountStore } from "./store/accounts.ts";
import { CERTIFICATE_LIFETIME_MS } from "./constants.ts";

/** Signs certificates and key-log entries for one rendezvous. */
export class Certifier {
  constructor(
    private readonly key: PrivateKey,
    private readonly accounts: AccountStore,
  ) {}

  /** A certificate binding `username` to `identityKey`, valid from `now` for a day. */
  async certificate(username: string, identityKey: Uint8Array, now: number): Promise<Uint8Array> {
    const keyLogLength = this.accounts.keyLogLength(username);
    return await issueCertificate({
      username,
      identityKey,
      issuedAt: BigInt(now),
      expiresAt: BigInt(now + CERTIFICATE_LIFETIME_MS),
      keyChanged: keyLogLength > 1,
      keyLogLength: BigInt(keyLogLength),
    }, this.key);
  }

  /** The key-log entry recording that `username` is bound to `identityKey` from `now` on. */
  async keyLogEntry(
    username: string,
    identityKey: Uint8Array,
    now: number,
  ): Promise<{ seq: number; statement: Uint8Array }> {
    const seq = this.accounts.keyLogLength(username);
    const previous = this.accounts.lastKeyLogStatement(username);
    const statement = await signKeyLogEntry({
      username,
      seq: BigInt(seq),
      identityKey,
      at: BigInt(now),
      previousHash: previous ? await statementHash(previous) : new Uint8Array(0),
    }, this.key);
    return { seq, statement };
  }
}
