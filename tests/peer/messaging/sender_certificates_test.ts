/** The certificate cache of incoming senders: reused until a TTL or the expiry, dropped on request. */
import assert from "node:assert/strict";
import { RemoteError } from "../../../src/errors.ts";
import {
  CERTIFICATION_TTL_MS,
  SenderCertificates,
} from "../../../src/peer/messaging/sender_certificates.ts";

const NOW = 1_700_000_000_000;

function certifier(expiresAt = NOW + 86_400_000) {
  const asked: string[] = [];
  let fail = false;
  return {
    asked,
    failNext: () => fail = true,
    resolve(username: string) {
      asked.push(username);
      if (fail) {
        fail = false;
        return Promise.reject(new RemoteError("E_NOT_FOUND", `no user ${username} here`));
      }
      return Promise.resolve({
        identityKey: new Uint8Array(32),
        standing: "trusted" as const,
        expiresAt,
      });
    },
  };
}

Deno.test("SenderCertificates: reused within the TTL, asked again after it or after forget", async () => {
  const c = certifier();
  const cache = new SenderCertificates(c);
  assert.equal((await cache.certify("alice", NOW)).certified, true);
  await cache.certify("alice", NOW + CERTIFICATION_TTL_MS - 1);
  assert.deepEqual(c.asked, ["alice"]);
  await cache.certify("alice", NOW + CERTIFICATION_TTL_MS);
  assert.deepEqual(c.asked, ["alice", "alice"]);
  cache.forget("alice"); // alice logged in again: maybe with another key
  await cache.certify("alice", NOW + CERTIFICATION_TTL_MS + 1);
  assert.equal(c.asked.length, 3);
});

Deno.test("SenderCertificates: never past the certificate's expiry; a refusal is not cached", async () => {
  const c = certifier(NOW + 10);
  const cache = new SenderCertificates(c);
  await cache.certify("alice", NOW);
  await cache.certify("alice", NOW + 10);
  assert.equal(c.asked.length, 2);
  c.failNext();
  cache.forget("alice");
  const refused = await cache.certify("alice", NOW + 11);
  assert.equal(refused.certified, false);
  assert.equal((await cache.certify("alice", NOW + 11)).certified, true);
});
