import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { issueServerVouch } from "../../../src/crypto/server_vouch.ts";
import { StatementError } from "../../../src/crypto/statements.ts";
import { judgeServerKey, verifyVouch } from "../../../src/peer/federation/remote_chain.ts";

const home = await generateKeyPair("Ed25519");
const work = await generateKeyPair("Ed25519");
const impostor = await generateKeyPair("Ed25519");
const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function vouchFor(name: string, key = work.publicKey.raw, expiresAt = NOW + HOUR) {
  return issueServerVouch(
    { name, key, issuedAt: BigInt(NOW - 1000), expiresAt: BigInt(expiresAt) },
    home,
  );
}

function isStatementError(message: RegExp) {
  return (err: unknown) => err instanceof StatementError && message.test(err.message);
}

Deno.test("remote chain: the home's vouch gives work's key and when to ask again", async () => {
  const vouched = await verifyVouch(await vouchFor("work"), home.publicKey, "work", NOW);
  assert.deepEqual(vouched.key, work.publicKey.raw);
  assert.ok(vouched.publicKey.equals(work.publicKey));
  assert.equal(vouched.expiresAt, NOW + HOUR);
});

Deno.test("remote chain: a vouch signed by another key than the home's is refused", async () => {
  const forged = await issueServerVouch({
    name: "work",
    key: impostor.publicKey.raw,
    issuedAt: BigInt(NOW),
    expiresAt: BigInt(NOW + HOUR),
  }, impostor);
  await assert.rejects(
    verifyVouch(forged, home.publicKey, "work", NOW),
    isStatementError(/signature/),
  );
});

Deno.test("remote chain: a vouch for another server, an expired one, or none is refused", async () => {
  await assert.rejects(
    verifyVouch(await vouchFor("play"), home.publicKey, "work", NOW),
    isStatementError(/play, not work/),
  );
  await assert.rejects(
    verifyVouch(
      await vouchFor("work", work.publicKey.raw, NOW + 10),
      home.publicKey,
      "work",
      NOW + 20,
    ),
    isStatementError(/expired/),
  );
  await assert.rejects(
    verifyVouch(undefined, home.publicKey, "work", NOW),
    isStatementError(/no vouch for server work/),
  );
});

Deno.test("remote chain: a server key is new, the pinned one, or changed", () => {
  const a = work.publicKey.raw;
  const b = impostor.publicKey.raw;
  assert.equal(judgeServerKey(undefined, a), "new");
  assert.equal(judgeServerKey(a, Uint8Array.from(a)), "trusted");
  assert.equal(judgeServerKey(a, b), "changed");
});
