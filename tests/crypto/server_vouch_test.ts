import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import {
  issueServerVouch,
  SERVER_VOUCH_DOMAIN,
  verifyServerVouch,
} from "../../src/crypto/server_vouch.ts";
import {
  CERTIFICATE_DOMAIN,
  issueCertificate,
  signStatement,
  StatementError,
  verifyCertificate,
} from "../../src/crypto/statements.ts";
import { SignedStatement } from "../../src/proto/certificate.ts";
import { type ServerVouch } from "../../src/proto/federation.ts";

const home = await generateKeyPair("Ed25519");
const work = await generateKeyPair("Ed25519");
const NOW = 1_700_000_000_000;
const HOUR = 60 * 60 * 1000;

function vouch(overrides: Partial<ServerVouch> = {}): ServerVouch {
  return {
    name: "work",
    key: work.publicKey.raw,
    issuedAt: BigInt(NOW),
    expiresAt: BigInt(NOW + HOUR),
    ...overrides,
  };
}

async function rejects(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StatementError, `expected StatementError, got ${err}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

Deno.test("a vouch verifies with the home's key and gives the remote's key", async () => {
  const bytes = await issueServerVouch(vouch(), home);
  const verified = await verifyServerVouch(bytes, home.publicKey, "work", NOW);
  assert.deepEqual(verified, vouch());
  assert.deepEqual(verified.key, work.publicKey.raw);
});

Deno.test("the vouch signature covers tincan-server-vouch-v1 ‖ 0x00 ‖ the encoded ServerVouch", async () => {
  const bytes = await issueServerVouch(vouch(), home);
  const { body, signature } = SignedStatement.decode(bytes);
  const domain = new TextEncoder().encode(SERVER_VOUCH_DOMAIN);
  const payload = new Uint8Array([...domain, 0, ...body]);
  assert.equal(await home.publicKey.verify(payload, signature), true);
});

Deno.test("a vouch signed by another node (the remote itself) is refused", async () => {
  const bytes = await issueServerVouch(vouch(), work);
  await rejects(verifyServerVouch(bytes, home.publicKey, "work", NOW), /does not verify/);
});

Deno.test("a vouch for another server name is refused", async () => {
  const bytes = await issueServerVouch(vouch({ name: "other" }), home);
  await rejects(verifyServerVouch(bytes, home.publicKey, "work", NOW), /for other, not work/);
});

Deno.test("a vouch is valid from a minute before issuedAt until just before expiresAt", async () => {
  const bytes = await issueServerVouch(vouch(), home);
  await verifyServerVouch(bytes, home.publicKey, "work", NOW - 60_000);
  await verifyServerVouch(bytes, home.publicKey, "work", NOW + HOUR - 1);
  await rejects(verifyServerVouch(bytes, home.publicKey, "work", NOW - 60_001), /in the future/);
  await rejects(verifyServerVouch(bytes, home.publicKey, "work", NOW + HOUR), /work expired at/);
});

Deno.test("a vouch whose key is not 32 bytes is refused", async () => {
  for (const length of [0, 31, 33]) {
    const bytes = await issueServerVouch(vouch({ key: new Uint8Array(length) }), home);
    await rejects(verifyServerVouch(bytes, home.publicKey, "work", NOW), /not 32 bytes/);
  }
});

Deno.test("no bit flip in a vouch's body or signature verifies as a different vouch", async () => {
  const bytes = await issueServerVouch(vouch(), home);
  const statement = SignedStatement.decode(bytes);
  for (let bit = 0; bit < statement.body.length * 8; bit++) {
    const tampered = SignedStatement.encode({
      body: flipBit(statement.body, bit),
      signature: statement.signature,
    });
    await rejects(verifyServerVouch(tampered, home.publicKey, "work", NOW));
  }
  for (let bit = 0; bit < 64 * 8; bit += 7) {
    const tampered = SignedStatement.encode({
      body: statement.body,
      signature: flipBit(statement.signature, bit),
    });
    await rejects(verifyServerVouch(tampered, home.publicKey, "work", NOW), /does not verify/);
  }
});

Deno.test("domains separate statements: a vouch is not a certificate and back", async () => {
  const vouchBytes = await issueServerVouch(vouch(), home);
  await rejects(verifyCertificate(vouchBytes, home.publicKey, NOW), /does not verify/);
  const certificate = await issueCertificate({
    username: "work",
    identityKey: work.publicKey.raw,
    issuedAt: BigInt(NOW),
    expiresAt: BigInt(NOW + HOUR),
    keyChanged: false,
    keyLogLength: 1n,
  }, home);
  await rejects(verifyServerVouch(certificate, home.publicKey, "work", NOW), /does not verify/);
  const body = SignedStatement.decode(vouchBytes).body;
  const asCertificate = await signStatement(CERTIFICATE_DOMAIN, body, home);
  await rejects(verifyServerVouch(asCertificate, home.publicKey, "work", NOW), /does not verify/);
});

Deno.test("a truncated, empty or garbage vouch is refused", async () => {
  const bytes = await issueServerVouch(vouch(), home);
  await rejects(
    verifyServerVouch(bytes.subarray(0, bytes.length - 1), home.publicKey, "work", NOW),
  );
  await rejects(verifyServerVouch(new Uint8Array(0), home.publicKey, "work", NOW));
  await rejects(verifyServerVouch(new Uint8Array(90).fill(0xff), home.publicKey, "work", NOW));
  const garbage = await signStatement(SERVER_VOUCH_DOMAIN, new Uint8Array([0xff, 0xff]), home);
  await rejects(verifyServerVouch(garbage, home.publicKey, "work", NOW), /malformed/);
});
