/**
 * The resolver's chain for bob@work, with a real Trust on in-memory SQLite: the vouch from our
 * home, work's key pinned per server (a change is refused loudly), bob's certificate verified
 * with work's key — never with the home's, and never for another user — and work's key log.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { issueServerVouch } from "../../../src/crypto/server_vouch.ts";
import {
  issueCertificate,
  signKeyLogEntry,
  StatementError,
} from "../../../src/crypto/statements.ts";
import { Issuers, ServerKeyChangedError } from "../../../src/peer/federation/issuers.ts";
import { HomeName } from "../../../src/peer/names.ts";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import { KeyLogHeadStore } from "../../../src/peer/store/key_log_heads.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { ServerKeyStore } from "../../../src/peer/store/server_keys.ts";
import { Trust, UntrustedKeyError } from "../../../src/peer/trust.ts";
import { openDatabase } from "../../../src/store/database.ts";

const home = await generateKeyPair("Ed25519");
const work = await generateKeyPair("Ed25519");
const newWork = await generateKeyPair("Ed25519");
const bob = await generateKeyPair("Ed25519");
const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function vouch(key: PrivateKey = work, signer: PrivateKey = home) {
  return issueServerVouch({
    name: "work",
    key: key.publicKey.raw,
    issuedAt: BigInt(NOW - 1000),
    expiresAt: BigInt(NOW + HOUR),
  }, signer);
}

function certificate(username: string, signer: PrivateKey) {
  return issueCertificate({
    username,
    identityKey: bob.publicKey.raw,
    issuedAt: BigInt(NOW - 1000),
    expiresAt: BigInt(NOW + HOUR),
    keyChanged: false,
    keyLogLength: 1n,
  }, signer);
}

async function world(vouchKey: PrivateKey = work) {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const names = new HomeName();
  names.set("home");
  const changes: string[] = [];
  const store = new ServerKeyStore(db);
  const issuers = new Issuers({
    homeKey: home.publicKey,
    names,
    store,
    onChange: (server) => changes.push(server),
  });
  const log = [
    await signKeyLogEntry({
      username: "bob",
      seq: 0n,
      identityKey: bob.publicKey.raw,
      at: BigInt(NOW - 5000),
      previousHash: new Uint8Array(0),
    }, work),
  ];
  const logVouch = await vouch(vouchKey);
  const trust = new Trust(
    new ContactStore(db),
    new KeyLogHeadStore(db),
    issuers,
    () => Promise.resolve({ statements: log, vouch: logVouch }),
  );
  return { db, issuers, store, trust, changes };
}

Deno.test("issuers: bob@work's certificate verifies with the key home vouches for work, pinned", async () => {
  const { db, trust, store } = await world();
  try {
    const judged = await trust.judgeCertificate(
      "bob@work",
      await certificate("bob", work),
      NOW,
      await vouch(),
    );
    assert.equal(judged.standing, "new");
    assert.deepEqual(judged.identityKey, bob.publicKey.raw);
    assert.equal(judged.warning, undefined, "work's key log checks out");
    assert.deepEqual(store.get("work")?.key, work.publicKey.raw);
  } finally {
    db.close();
  }
});

Deno.test("issuers: a certificate for bob@work signed by the home, not work, is refused", async () => {
  const { db, trust } = await world();
  try {
    await assert.rejects(
      trust.judgeCertificate("bob@work", await certificate("bob", home), NOW, await vouch()),
      (err: unknown) => err instanceof StatementError && /signature/.test(err.message),
    );
  } finally {
    db.close();
  }
});

Deno.test("issuers: work returning a certificate for another of its users is refused", async () => {
  const { db, trust } = await world();
  try {
    await assert.rejects(
      trust.judgeCertificate("bob@work", await certificate("carol", work), NOW, await vouch()),
      (err: unknown) =>
        err instanceof UntrustedKeyError && /work sent a certificate for carol, not bob/.test(
          err.message,
        ),
    );
  } finally {
    db.close();
  }
});

Deno.test("issuers: without a vouch, or with an expired one, a remote certificate is refused", async () => {
  const { db, trust } = await world();
  try {
    const cert = await certificate("bob", work);
    await assert.rejects(trust.judgeCertificate("bob@work", cert, NOW), StatementError);
    await assert.rejects(
      trust.judgeCertificate("bob@work", cert, NOW + 2 * HOUR, await vouch()),
      (err: unknown) => err instanceof StatementError && /expired/.test(err.message),
    );
  } finally {
    db.close();
  }
});

Deno.test("issuers: a different key for work later is loud and refused until trusted", async () => {
  const { db, issuers, changes } = await world();
  try {
    await issuers.of("bob@work", await vouch(work), NOW);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        issuers.of("bob@work", await vouch(newWork), NOW),
        (err: unknown) =>
          err instanceof ServerKeyChangedError && /trust-server work/.test(
            err.message,
          ),
      );
    }
    assert.deepEqual(changes, ["work"], "told once");
    const fingerprint = issuers.pending("work");
    assert.ok(fingerprint);
    assert.equal(issuers.trust("work", "12345", NOW), false);
    assert.equal(issuers.trust("work", fingerprint, NOW), true);
    const issuer = await issuers.of("bob@work", await vouch(newWork), NOW);
    assert.ok(issuer.key.equals(newWork.publicKey));
    assert.equal(issuer.username, "bob");
  } finally {
    db.close();
  }
});

Deno.test("issuers: local names use the home's key; bob@home typed at home is bob", async () => {
  const { db, issuers } = await world();
  try {
    const issuer = await issuers.of("bob@home", undefined, NOW);
    assert.ok(issuer.key.equals(home.publicKey));
    assert.equal(issuer.username, "bob");
    assert.equal(issuer.server, undefined);
  } finally {
    db.close();
  }
});
