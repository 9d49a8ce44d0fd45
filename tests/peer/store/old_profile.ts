/**
 * A profile as tincan wrote it before keys were sealed at rest (schema up to the migration that
 * introduced sealing, keys and ratchet states in plaintext), with one session bob (the profile)
 * holds with alice and a message alice encrypted on it that only that session opens.
 */
import { join } from "node:path";
import { generateKemKeyPair, type KemKeyPair } from "../../../src/crypto/kem.ts";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import { generateX25519KeyPair, type X25519KeyPair } from "../../../src/crypto/primitives.ts";
import {
  ratchetEncrypt,
  ratchetInitAlice,
  ratchetInitBob,
  type RatchetMessage,
  type RatchetState,
} from "../../../src/crypto/ratchet.ts";
import { serializeRatchetState } from "../../../src/crypto/ratchet_state.ts";
import { loadOrCreateNodeKey } from "../../../src/net/node_key.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openPrivateDatabase } from "../../../src/store/database.ts";

/** The migrations of a tincan from before keys were sealed (wherever the lead numbers it). */
export const MIGRATIONS_BEFORE_SEALING = PEER_MIGRATIONS.slice(
  0,
  PEER_MIGRATIONS.findIndex((m) => m.sql.includes("'keys-at-rest'")),
);

/** What an old profile holds in plaintext, to look for. */
export interface OldProfile {
  readonly dir: string;
  readonly dbPath: string;
  readonly identityDh: X25519KeyPair;
  readonly signed: X25519KeyPair;
  readonly oneTime: readonly X25519KeyPair[];
  readonly kem: KemKeyPair;
  readonly aliceKey: Uint8Array;
  readonly sessionId: Uint8Array;
  /** Bob's ratchet state as stored (its root key is a secret to look for). */
  readonly state: RatchetState;
  /** A message alice sent on the session, not yet received. */
  readonly message: RatchetMessage;
}

/** A ratchet state's secrets that must never be on disk in plaintext. */
export function stateSecrets(state: RatchetState): Uint8Array[] {
  return [state.rootKey, state.sending.privateKey, state.receivingChainKey]
    .filter((k): k is Uint8Array => k !== undefined);
}

/** Writes an old profile (plaintext keys and session) into a fresh directory. */
export async function oldProfile(): Promise<OldProfile> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-old-profile-" });
  await loadOrCreateNodeKey(join(dir, "identity.key"));
  await Deno.writeFile(join(dir, "storage.key"), crypto.getRandomValues(new Uint8Array(32)), {
    mode: 0o600,
  });
  const dbPath = join(dir, "peer.db");
  const db = await openPrivateDatabase(dbPath, MIGRATIONS_BEFORE_SEALING);
  const [identityDh, signed] = [await generateX25519KeyPair(), await generateX25519KeyPair()];
  const oneTime = [await generateX25519KeyPair(), await generateX25519KeyPair()];
  const kem = generateKemKeyPair();
  const addKey = db.prepare(
    `INSERT INTO own_keys (kind, id, private_key, public_key, signature, created_at)
     VALUES (?, ?, ?, ?, ?, 1)`,
  );
  addKey.run(
    PrekeyKind.IdentityDh,
    0,
    identityDh.privateKey,
    identityDh.publicKey,
    new Uint8Array(64),
  );
  addKey.run(PrekeyKind.Signed, 1, signed.privateKey, signed.publicKey, new Uint8Array(64));
  oneTime.forEach((pair, i) => {
    addKey.run(PrekeyKind.OneTime, i + 1, pair.privateKey, pair.publicKey, new Uint8Array(64));
  });
  db.prepare(
    `INSERT INTO own_kem_keys (kind, id, seed, public_key, signature, created_at)
     VALUES (?, 7, ?, ?, ?, 1)`,
  ).run(PrekeyKind.KemLastResort, kem.seed, kem.publicKey, new Uint8Array(64));
  // A session as X3DH would have started it: alice's first message is on its way to bob.
  const shared = crypto.getRandomValues(new Uint8Array(32));
  const ad = crypto.getRandomValues(new Uint8Array(64));
  const alice = await ratchetInitAlice(shared, signed.publicKey, ad);
  const { message } = await ratchetEncrypt(alice, new TextEncoder().encode("hello from before"));
  const state = ratchetInitBob(shared, signed, ad);
  const aliceKey = new Uint8Array(32).fill(0xa1);
  const sessionId = new Uint8Array(16).fill(0x5e);
  db.prepare(
    "INSERT INTO contacts (username, identity_key, first_seen, updated_at) VALUES (?, ?, 1, 1)",
  )
    .run("alice", aliceKey);
  db.prepare(
    `INSERT INTO sessions (username, session_id, identity_key, state, updated_at)
     VALUES ('alice', ?, ?, ?, 1)`,
  ).run(sessionId, aliceKey, serializeRatchetState(state));
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return { dir, dbPath, identityDh, signed, oneTime, kem, aliceKey, sessionId, state, message };
}
