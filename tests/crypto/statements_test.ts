import { toHex } from "../../src/crypto/bytes.ts";
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import {
  CERTIFICATE_DOMAIN,
  issueCertificate,
  KEY_LOG_DOMAIN,
  openStatement,
  signKeyLogEntry,
  signStatement,
  StatementError,
  statementHash,
  verifyCertificate,
  verifyKeyLog,
} from "../../src/crypto/statements.ts";
import {
  type Certificate,
  type KeyLogEntry,
  SignedStatement,
} from "../../src/proto/certificate.ts";

const rendezvous = await generateKeyPair("Ed25519");
const otherRendezvous = await generateKeyPair("Ed25519");
const NOW = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

function identityKey(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

function certificate(overrides: Partial<Certificate> = {}): Certificate {
  return {
    username: "alice",
    identityKey: identityKey(7),
    issuedAt: BigInt(NOW),
    expiresAt: BigInt(NOW + DAY),
    keyChanged: false,
    keyLogLength: 1n,
    ...overrides,
  };
}

async function rejects(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StatementError, `expected StatementError, got ${err}`);
    assert.equal(err.name, "StatementError");
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** A key log of `keys.length` entries for `username`, chained by hash. */
async function keyLog(username: string, count: number): Promise<Uint8Array[]> {
  const statements: Uint8Array[] = [];
  for (let seq = 0; seq < count; seq++) {
    const previous = statements.at(-1);
    const entry: KeyLogEntry = {
      username,
      seq: BigInt(seq),
      identityKey: identityKey(seq + 1),
      at: BigInt(NOW + seq),
      previousHash: previous ? await statementHash(previous) : new Uint8Array(0),
    };
    statements.push(await signKeyLogEntry(entry, rendezvous));
  }
  return statements;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes); // not slice(): a Buffer's slice is a view
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

Deno.test("a certificate verifies with the rendezvous key and round-trips its fields", async () => {
  const issued = certificate({ keyChanged: true, keyLogLength: 3n });
  const bytes = await issueCertificate(issued, rendezvous);
  const verified = await verifyCertificate(bytes, rendezvous.publicKey, NOW);
  assert.deepEqual(verified, issued);
});

Deno.test("a certificate is valid until just before expiresAt", async () => {
  const bytes = await issueCertificate(certificate(), rendezvous);
  await verifyCertificate(bytes, rendezvous.publicKey, NOW + DAY - 1);
  await rejects(verifyCertificate(bytes, rendezvous.publicKey, NOW + DAY), /alice expired at/);
  await rejects(verifyCertificate(bytes, rendezvous.publicKey, NOW + 2 * DAY), /expired/);
});

Deno.test("a certificate issued in the future is refused beyond one minute of clock skew", async () => {
  const bytes = await issueCertificate(certificate(), rendezvous);
  await verifyCertificate(bytes, rendezvous.publicKey, NOW - 60_000);
  await rejects(verifyCertificate(bytes, rendezvous.publicKey, NOW - 60_001), /in the future/);
});

Deno.test("a certificate signed by another key is refused", async () => {
  const bytes = await issueCertificate(certificate(), otherRendezvous);
  await rejects(verifyCertificate(bytes, rendezvous.publicKey, NOW), /does not verify/);
});

Deno.test("a certificate with a bit flipped in its body is refused", async () => {
  const bytes = await issueCertificate(certificate(), rendezvous);
  const statement = SignedStatement.decode(bytes);
  for (let bit = 0; bit < statement.body.length * 8; bit += 3) {
    const tampered = SignedStatement.encode({
      body: flipBit(statement.body, bit),
      signature: statement.signature,
    });
    await rejects(verifyCertificate(tampered, rendezvous.publicKey, NOW));
  }
});

Deno.test("a certificate with a bit flipped in its signature is refused", async () => {
  const bytes = await issueCertificate(certificate(), rendezvous);
  const statement = SignedStatement.decode(bytes);
  for (let bit = 0; bit < 64 * 8; bit += 5) {
    const tampered = SignedStatement.encode({
      body: statement.body,
      signature: flipBit(statement.signature, bit),
    });
    await rejects(verifyCertificate(tampered, rendezvous.publicKey, NOW), /does not verify/);
  }
});

Deno.test("no single bit flip in a certificate's encoding changes what it says", async () => {
  const issued = certificate();
  const bytes = await issueCertificate(issued, rendezvous);
  let accepted = 0;
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const tampered = flipBit(bytes, bit);
    try {
      const verified = await verifyCertificate(tampered, rendezvous.publicKey, NOW);
      // The protobuf decoder ignores the wire-type bits of a field tag, so a few flips in the
      // envelope's tags still decode to the same body and signature: nothing signed changed.
      accepted++;
      assert.deepEqual(verified, issued);
      assert.deepEqual(SignedStatement.encode(SignedStatement.decode(tampered)), bytes);
    } catch (err: unknown) {
      assert.ok(err instanceof StatementError, `bit ${bit}: ${err}`);
    }
  }
  assert.ok(accepted <= 6, `${accepted} flips accepted`);
});

Deno.test("a truncated, extended, empty or garbage certificate is refused", async () => {
  const bytes = await issueCertificate(certificate(), rendezvous);
  await rejects(verifyCertificate(bytes.subarray(0, bytes.length - 1), rendezvous.publicKey, NOW));
  await rejects(verifyCertificate(bytes.subarray(0, 10), rendezvous.publicKey, NOW));
  await rejects(verifyCertificate(new Uint8Array(0), rendezvous.publicKey, NOW));
  await rejects(verifyCertificate(new Uint8Array(100).fill(0xff), rendezvous.publicKey, NOW));
  const statement = SignedStatement.decode(bytes);
  const shortSignature = SignedStatement.encode({
    body: statement.body,
    signature: statement.signature.subarray(0, 63),
  });
  await rejects(verifyCertificate(shortSignature, rendezvous.publicKey, NOW), /does not verify/);
});

Deno.test("a certificate whose identity key is not 32 bytes is refused", async () => {
  for (const length of [0, 31, 33]) {
    const bytes = await issueCertificate(
      certificate({ identityKey: new Uint8Array(length) }),
      rendezvous,
    );
    await rejects(verifyCertificate(bytes, rendezvous.publicKey, NOW), /not 32 bytes/);
  }
});

Deno.test("a signed body that is not a certificate is refused as malformed", async () => {
  const bytes = await signStatement(CERTIFICATE_DOMAIN, new Uint8Array([0xff, 0xff]), rendezvous);
  await rejects(verifyCertificate(bytes, rendezvous.publicKey, NOW), /malformed certificate body/);
});

Deno.test("domains separate statements: a key-log entry is not a certificate", async () => {
  // the same body bytes signed under the key-log domain do not verify as a certificate
  const body = (SignedStatement.decode(await issueCertificate(certificate(), rendezvous))).body;
  const asKeyLog = await signStatement(KEY_LOG_DOMAIN, body, rendezvous);
  await rejects(verifyCertificate(asKeyLog, rendezvous.publicKey, NOW), /does not verify/);
  const [entry] = await keyLog("alice", 1);
  assert.ok(entry);
  await rejects(openStatement(CERTIFICATE_DOMAIN, entry, rendezvous.publicKey));
  assert.deepEqual(
    await openStatement(KEY_LOG_DOMAIN, entry, rendezvous.publicKey),
    SignedStatement.decode(entry).body,
  );
});

Deno.test("the signature covers domain ‖ 0x00 ‖ body", async () => {
  const body = new Uint8Array([1, 2, 3]);
  const bytes = await signStatement("d", body, rendezvous);
  const { signature } = SignedStatement.decode(bytes);
  const payload = new Uint8Array([0x64, 0x00, 1, 2, 3]);
  assert.equal(await rendezvous.publicKey.verify(payload, signature), true);
  // a domain that swallows the separator does not verify
  await rejects(openStatement("d\u0000", bytes, rendezvous.publicKey));
});

Deno.test("statementHash is the SHA-256 of the bytes", async () => {
  const hash = await statementHash(new TextEncoder().encode("abc"));
  assert.equal(
    toHex(hash),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("a key log chain verifies and returns its entries oldest first", async () => {
  const statements = await keyLog("alice", 4);
  const entries = await verifyKeyLog(statements, "alice", rendezvous.publicKey);
  assert.deepEqual(entries.map((e) => e.seq), [0n, 1n, 2n, 3n]);
  assert.deepEqual(entries[3]?.identityKey, identityKey(4));
  assert.deepEqual(entries[0]?.previousHash, new Uint8Array(0));
  assert.deepEqual(entries[1]?.previousHash, await statementHash(statements[0]!));
  assert.deepEqual(await verifyKeyLog([], "alice", rendezvous.publicKey), []);
});

Deno.test("a key log prefix verifies (the log is append-only)", async () => {
  const statements = await keyLog("alice", 3);
  assert.equal(
    (await verifyKeyLog(statements.slice(0, 2), "alice", rendezvous.publicKey)).length,
    2,
  );
});

Deno.test("a key log with reordered entries is refused", async () => {
  const [a, b, c] = await keyLog("alice", 3);
  assert.ok(a && b && c);
  await rejects(verifyKeyLog([b, a, c], "alice", rendezvous.publicKey), /entry 0 has seq 1/);
  await rejects(verifyKeyLog([a, c, b], "alice", rendezvous.publicKey), /entry 1 has seq 2/);
});

Deno.test("a key log missing an entry in the middle is refused", async () => {
  const [a, , c] = await keyLog("alice", 3);
  assert.ok(a && c);
  await rejects(verifyKeyLog([a, c], "alice", rendezvous.publicKey), /entry 1 has seq 2/);
  // without its first entry the log does not start at seq 0
  const [, b2, c2] = await keyLog("alice", 3);
  assert.ok(b2 && c2);
  await rejects(verifyKeyLog([b2, c2], "alice", rendezvous.publicKey), /entry 0 has seq 1/);
});

Deno.test("a key log entry for another username is refused", async () => {
  const statements = await keyLog("alice", 2);
  await rejects(verifyKeyLog(statements, "bob", rendezvous.publicKey), /is for alice, not bob/);
  const [bobFirst] = await keyLog("bob", 1);
  assert.ok(bobFirst);
  await rejects(
    verifyKeyLog([statements[0]!, bobFirst], "alice", rendezvous.publicKey),
    /is for bob, not alice/,
  );
});

Deno.test("a key log entry that does not chain to the previous one is refused", async () => {
  const [first] = await keyLog("alice", 1);
  assert.ok(first);
  // a second entry with the right seq but the hash of a different statement
  const forged = await signKeyLogEntry({
    username: "alice",
    seq: 1n,
    identityKey: identityKey(9),
    at: BigInt(NOW),
    previousHash: await statementHash(new Uint8Array([1])),
  }, rendezvous);
  await rejects(verifyKeyLog([first, forged], "alice", rendezvous.publicKey), /does not chain/);
  // a first entry must have an empty previous hash
  const badFirst = await signKeyLogEntry({
    username: "alice",
    seq: 0n,
    identityKey: identityKey(1),
    at: BigInt(NOW),
    previousHash: new Uint8Array(32),
  }, rendezvous);
  await rejects(verifyKeyLog([badFirst], "alice", rendezvous.publicKey), /entry 0 does not chain/);
});

Deno.test("a rewritten key log entry breaks the chain after it", async () => {
  const [a, , c] = await keyLog("alice", 3);
  assert.ok(a && c);
  // the rendezvous re-signs entry 1 with another key: entry 2 no longer chains
  const rewritten = await signKeyLogEntry({
    username: "alice",
    seq: 1n,
    identityKey: identityKey(0xee),
    at: BigInt(NOW + 1),
    previousHash: await statementHash(a),
  }, rendezvous);
  await rejects(
    verifyKeyLog([a, rewritten, c], "alice", rendezvous.publicKey),
    /entry 2 does not chain/,
  );
});

Deno.test("a key log signed by another key or tampered with is refused", async () => {
  const statements = await keyLog("alice", 2);
  await rejects(verifyKeyLog(statements, "alice", otherRendezvous.publicKey), /does not verify/);
  const tampered = [statements[0]!, flipBit(statements[1]!, 40)];
  await rejects(verifyKeyLog(tampered, "alice", rendezvous.publicKey));
  const signedGarbage = await signStatement(KEY_LOG_DOMAIN, new Uint8Array([0xff]), rendezvous);
  await rejects(
    verifyKeyLog([signedGarbage], "alice", rendezvous.publicKey),
    /malformed key log entry 0/,
  );
});
