/**
 * Statements a rendezvous signs with its node key: user certificates and key-log entries.
 *
 * Wire layout: a SignedStatement { body, signature } where the Ed25519 signature covers
 * `domain ‖ 0x00 ‖ body` and body is an encoded Certificate or KeyLogEntry (certificate.proto).
 * The domain string keeps one kind of statement from being passed off as another.
 */
import type { PrivateKey, PublicKey } from "@libp2p/interface";
import { Certificate, KeyLogEntry, SignedStatement } from "../proto/certificate.ts";
import { bytesEqual } from "./bytes.ts";

export const CERTIFICATE_DOMAIN = "tincan-certificate-v1";
export const KEY_LOG_DOMAIN = "tincan-key-log-v1";

const encoder = new TextEncoder();

/** A certificate or key log that does not verify. */
export class StatementError extends Error {
  override name = "StatementError";
}

function signedPayload(domain: string, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(domain);
  const payload = new Uint8Array(prefix.length + 1 + body.length);
  payload.set(prefix);
  payload.set(body, prefix.length + 1);
  return payload;
}

/** Signs `body` under `domain`; returns the encoded SignedStatement. */
export async function signStatement(
  domain: string,
  body: Uint8Array,
  key: PrivateKey,
): Promise<Uint8Array> {
  const signature = await key.sign(signedPayload(domain, body));
  return SignedStatement.encode({ body, signature });
}

/**
 * Checks the signature of an encoded SignedStatement and returns its body.
 * @throws StatementError when the bytes are malformed or the signature does not verify.
 */
export async function openStatement(
  domain: string,
  bytes: Uint8Array,
  signer: PublicKey,
): Promise<Uint8Array> {
  let statement: SignedStatement;
  try {
    statement = SignedStatement.decode(bytes);
  } catch (err: unknown) {
    throw new StatementError(`malformed ${domain} statement`, { cause: err });
  }
  const ok = statement.signature.length === 64 &&
    await signer.verify(signedPayload(domain, statement.body), statement.signature);
  if (!ok) throw new StatementError(`the ${domain} signature does not verify`);
  return statement.body;
}

/** Signs a certificate. */
export async function issueCertificate(
  certificate: Certificate,
  key: PrivateKey,
): Promise<Uint8Array> {
  return await signStatement(CERTIFICATE_DOMAIN, Certificate.encode(certificate), key);
}

/**
 * Verifies a certificate signed by `rendezvous` and valid at `now`.
 * @throws StatementError naming what is wrong (signature, expiry, malformed body).
 */
export async function verifyCertificate(
  bytes: Uint8Array,
  rendezvous: PublicKey,
  now: number,
): Promise<Certificate> {
  const body = await openStatement(CERTIFICATE_DOMAIN, bytes, rendezvous);
  let certificate: Certificate;
  try {
    certificate = Certificate.decode(body);
  } catch (err: unknown) {
    throw new StatementError("malformed certificate body", { cause: err });
  }
  if (certificate.identityKey.length !== 32) {
    throw new StatementError("certificate identity key is not 32 bytes");
  }
  checkValidity(certificate, now, "certificate", `certificate for ${certificate.username}`);
  return certificate;
}

/**
 * Checks that a statement valid from `issuedAt` (less a minute of clock skew) until just before
 * `expiresAt` is valid at `now`.
 * @throws StatementError saying `what` is issued in the future, or `whose` expired when.
 */
export function checkValidity(
  span: { readonly issuedAt: bigint; readonly expiresAt: bigint },
  now: number,
  what: string,
  whose: string,
): void {
  if (BigInt(now) < span.issuedAt - 60_000n) {
    throw new StatementError(`${what} is issued in the future`);
  }
  if (BigInt(now) >= span.expiresAt) {
    throw new StatementError(
      `${whose} expired at ${new Date(Number(span.expiresAt)).toISOString()}`,
    );
  }
}

/** SHA-256 of an encoded statement, the link of the key-log hash chain. */
export async function statementHash(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** Signs one key-log entry. */
export async function signKeyLogEntry(entry: KeyLogEntry, key: PrivateKey): Promise<Uint8Array> {
  return await signStatement(KEY_LOG_DOMAIN, KeyLogEntry.encode(entry), key);
}

/**
 * Verifies a whole key log of `username`: every signature, seq 0, 1, 2 … in order, and the hash
 * chain. Returns the entries, oldest first.
 * @throws StatementError at the first entry that does not verify.
 */
export async function verifyKeyLog(
  statements: readonly Uint8Array[],
  username: string,
  rendezvous: PublicKey,
): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  let previous: Uint8Array | undefined;
  for (const [index, bytes] of statements.entries()) {
    const body = await openStatement(KEY_LOG_DOMAIN, bytes, rendezvous);
    let entry: KeyLogEntry;
    try {
      entry = KeyLogEntry.decode(body);
    } catch (err: unknown) {
      throw new StatementError(`malformed key log entry ${index}`, { cause: err });
    }
    if (entry.username !== username) {
      throw new StatementError(`key log entry ${index} is for ${entry.username}, not ${username}`);
    }
    if (entry.seq !== BigInt(index)) {
      throw new StatementError(`key log entry ${index} has seq ${entry.seq}`);
    }
    const expected = previous ? await statementHash(previous) : new Uint8Array(0);
    if (!bytesEqual(entry.previousHash, expected)) {
      throw new StatementError(`key log entry ${index} does not chain to the one before`);
    }
    entries.push(entry);
    previous = bytes;
  }
  return entries;
}
