/**
 * Key-log continuity against a rendezvous that re-creates an account, forks or rewrites its log,
 * or certifies a key change it did not log — each told apart from an honest key change.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { signKeyLogEntry, statementHash } from "../../src/crypto/statements.ts";
import { checkKeyLog, type KeyLogCheck, retiredKeys } from "../../src/peer/key_log.ts";
import type { KeyLogHead } from "../../src/peer/store/key_log_heads.ts";
import type { Certificate } from "../../src/proto/certificate.ts";

const NOW = 1_700_000_000_000;
const rendezvous = await generateKeyPair("Ed25519");
const key = (n: number) => new Uint8Array(32).fill(n);

/** A signed log binding `keys` in turn, starting at `at`. */
async function log(keys: Uint8Array[], at = NOW, signer: PrivateKey = rendezvous) {
  const statements: Uint8Array[] = [];
  for (const [seq, identityKey] of keys.entries()) {
    const previous = statements.at(-1);
    statements.push(
      await signKeyLogEntry({
        username: "bob",
        seq: BigInt(seq),
        identityKey,
        at: BigInt(at + seq),
        previousHash: previous ? await statementHash(previous) : new Uint8Array(0),
      }, signer),
    );
  }
  return statements;
}

const cert = (identityKey: Uint8Array, length: number): Certificate => ({
  username: "bob",
  identityKey,
  issuedAt: BigInt(NOW),
  expiresAt: BigInt(NOW + 86_400_000),
  keyChanged: length > 1,
  keyLogLength: BigInt(length),
});

function check(
  statements: Uint8Array[],
  certificate: Certificate,
  seen?: KeyLogHead,
  pinnedKey?: Uint8Array,
): Promise<KeyLogCheck> {
  return checkKeyLog({
    username: "bob",
    statements,
    certificate,
    seen,
    pinnedKey,
    rendezvousKey: rendezvous.publicKey,
    now: NOW,
  });
}

function headOf(result: KeyLogCheck): KeyLogHead {
  assert.ok(result.ok, result.ok ? "" : result.message);
  return result.head;
}

Deno.test("checkKeyLog: a first log is taken; an honest key change extends it", async () => {
  const first = await check(await log([key(1)]), cert(key(1), 1));
  const head = headOf(first);
  assert.equal(head.length, 1);
  assert.deepEqual(head.identityKey, key(1));
  assert.equal(head.createdAt, NOW);
  const extended = await check(await log([key(1), key(2)]), cert(key(2), 2), head, key(1));
  assert.equal(headOf(extended).length, 2);
  assert.deepEqual(retiredKeys(extended.entries), [key(1)]);
});

Deno.test("checkKeyLog: an account deleted and registered again is said to be re-created", async () => {
  const head = headOf(await check(await log([key(1)]), cert(key(1), 1)));
  const recreated = await check(await log([key(9)], NOW + 5000), cert(key(9), 1), head, key(1));
  assert.equal(recreated.ok, false);
  assert.equal(!recreated.ok && recreated.problem, "recreated");
  assert.match(
    !recreated.ok ? recreated.message : "",
    new RegExp(
      `^bob's account was re-created at the rendezvous on ${new Date(NOW + 5000).toISOString()}`,
    ),
  );
});

Deno.test("checkKeyLog: a forked or rewritten log does not extend the one seen", async () => {
  const honest = await log([key(1), key(2)]);
  const head = headOf(await check(honest, cert(key(2), 2)));
  // Same first entry, another second one (mallory's key in place of bob's real change).
  const forked = await log([key(1), key(9), key(10)]);
  const result = await check(forked, cert(key(10), 3), head, key(2));
  assert.equal(!result.ok && result.problem, "rewritten");
  assert.match(!result.ok ? result.message : "", /does not extend the one you saw/);
  // Shortened: the rendezvous rolled the log back to before the change.
  const rolledBack = await check(honest.slice(0, 1), cert(key(1), 1), head, key(2));
  assert.equal(!rolledBack.ok && rolledBack.problem, "rewritten");
  // Signed by another key: not the rendezvous's log at all.
  const impostor = await generateKeyPair("Ed25519");
  const unsigned = await check(await log([key(1)], NOW, impostor), cert(key(1), 1));
  assert.equal(!unsigned.ok && unsigned.problem, "rewritten");
});

Deno.test("checkKeyLog: a certified key the log does not record is a key change missing from the log", async () => {
  const statements = await log([key(1)]);
  const head = headOf(await check(statements, cert(key(1), 1)));
  const unlogged = await check(statements, cert(key(9), 1), head, key(1));
  assert.equal(!unlogged.ok && unlogged.problem, "unlogged");
  assert.match(!unlogged.ok ? unlogged.message : "", /a key change missing from the log/);
  // A certificate claiming more entries than the log has.
  assert.equal((await check(statements, cert(key(1), 2))).ok, false);
  // A log that never had the key we pinned (no head seen yet: an older profile).
  const neverPinned = await check(await log([key(9)]), cert(key(9), 1), undefined, key(1));
  assert.equal(!neverPinned.ok && neverPinned.problem, "unlogged");
});
