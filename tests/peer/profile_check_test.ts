import assert from "node:assert/strict";
import { join } from "node:path";
import { sealAtRest } from "../../src/crypto/at_rest.ts";
import { openProfile } from "../../src/peer/profile.ts";
import { describeProblems, inspectProfile } from "../../src/peer/profile_check.ts";
import { ProfileError } from "../../src/peer/profile_errors.ts";
import { bodyContext } from "../../src/peer/store/body_context.ts";
import { HistoryStore } from "../../src/peer/store/history.ts";
import { OwnKeyStore } from "../../src/peer/store/own_keys.ts";
import { PrekeyKind } from "../../src/crypto/prekeys.ts";
import { generateX25519KeyPair } from "../../src/crypto/primitives.ts";
import { selectAll } from "../../src/store/database.ts";
import { DatabaseSync } from "node:sqlite";
import { checkpoint, damagePages } from "./profile_damage.ts";

/** A profile in a fresh directory with one history message, closed; returns the directory. */
async function profileWithHistory(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-profile-check-" });
  const profile = await openProfile(dir);
  const messageId = new Uint8Array(16).fill(7);
  const body = await sealAtRest(
    profile.storageKey,
    new Uint8Array([1]),
    bodyContext("history", messageId),
  );
  new HistoryStore(profile.db).add(
    { messageId, peer: "alice", outgoing: false, sentAt: 1, body },
    1,
  );
  profile.close();
  return dir;
}

/** The files in `dir` but SQLite's -wal and -shm (reading a WAL database makes them). */
function files(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !/-(wal|shm)$/.test(n)).sort();
}

/** Asserts that opening `dir` is refused naming `file` and the recovery, and changes nothing. */
async function assertRefused(dir: string, file: RegExp): Promise<void> {
  const before = files(dir);
  await assert.rejects(() => openProfile(dir), (err: unknown) => {
    assert.ok(err instanceof ProfileError, String(err));
    assert.match(err.message, file);
    assert.match(err.message, new RegExp(`tincan profile check --profile ${dir}`));
    assert.match(err.message, /tincan profile repair/);
    return true;
  });
  assert.deepEqual(files(dir), before);
}

Deno.test("a new directory is a new profile; a complete one is ok", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal((await inspectProfile(dir)).state, "new");
    (await openProfile(dir)).close();
    const inspection = await inspectProfile(dir);
    assert.equal(inspection.state, "ok");
    assert.equal(describeProblems(inspection), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing peer.db next to identity.key is refused, not re-created", async () => {
  const dir = await profileWithHistory();
  try {
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(join(dir, `peer.db${suffix}`)).catch(() => {});
    }
    await assertRefused(dir, /peer\.db: it is missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an emptied peer.db (truncated, or without tables) is refused", async () => {
  const dir = await profileWithHistory();
  try {
    await Deno.writeFile(join(dir, "peer.db"), new Uint8Array(0));
    await assertRefused(dir, /peer\.db: it is empty/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing storage.key is refused, not re-created", async () => {
  const dir = await profileWithHistory();
  try {
    await Deno.remove(join(dir, "storage.key"));
    await assertRefused(dir, /storage\.key: it is missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a storage.key that opens none of the stored messages is refused", async () => {
  const dir = await profileWithHistory();
  try {
    await Deno.writeFile(join(dir, "storage.key"), crypto.getRandomValues(new Uint8Array(32)));
    await assertRefused(dir, /storage\.key: it does not open the messages in peer\.db/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A profile in a fresh directory with our keys (identity-DH, two one-time prekeys), closed. */
async function profileWithKeys(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-profile-check-" });
  const profile = await openProfile(dir);
  const keys = new OwnKeyStore(profile.db, profile.storageKey);
  for (
    const [kind, id] of [[PrekeyKind.IdentityDh, 0], [PrekeyKind.OneTime, 1], [
      PrekeyKind.OneTime,
      2,
    ]]
  ) {
    keys.add({
      kind: kind!,
      id: id!,
      pair: await generateX25519KeyPair(),
      signature: new Uint8Array(64),
      createdAt: 1,
    });
  }
  profile.close();
  return dir;
}

Deno.test("a damaged sealed private key is found at start and by profile check, by name", async () => {
  const dir = await profileWithKeys();
  try {
    const db = new DatabaseSync(join(dir, "peer.db"));
    // One bit of one-time prekey 2's sealed private key flipped (a bad sector, an editor).
    const [row] = selectAll<{ private_key: Uint8Array }>(
      db,
      `SELECT private_key FROM own_keys WHERE kind = ${PrekeyKind.OneTime} AND id = 2`,
    );
    const damaged = new Uint8Array(row!.private_key);
    damaged[30]! ^= 0x10;
    db.prepare(`UPDATE own_keys SET private_key = ? WHERE kind = ${PrekeyKind.OneTime} AND id = 2`)
      .run(damaged);
    checkpoint(db);
    db.close();
    const inspection = await inspectProfile(dir);
    assert.equal(inspection.state, "damaged");
    assert.equal(
      describeProblems(inspection),
      "peer.db: it is damaged: the private key of one-time prekey 2 (own_keys.private_key) " +
        "does not open with storage.key",
    );
    await assertRefused(dir, /peer\.db: it is damaged: the private key of one-time prekey 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a storage.key that opens none of the sealed keys is refused (no messages yet)", async () => {
  const dir = await profileWithKeys();
  try {
    await Deno.writeFile(join(dir, "storage.key"), crypto.getRandomValues(new Uint8Array(32)));
    await assertRefused(dir, /storage\.key: it does not open the keys in peer\.db/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing identity.key next to a database is refused, not re-created", async () => {
  const dir = await profileWithHistory();
  try {
    await Deno.remove(join(dir, "identity.key"));
    await assertRefused(dir, /identity\.key: it is missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a peer.db with damaged pages fails the quick check at start, naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-profile-check-" });
  try {
    const profile = await openProfile(dir);
    const history = new HistoryStore(profile.db);
    for (let i = 0; i < 200; i++) {
      const messageId = new Uint8Array(16).fill(i);
      history.add({
        messageId,
        peer: "alice",
        outgoing: false,
        sentAt: i,
        body: new Uint8Array(300),
      }, i);
    }
    checkpoint(profile.db);
    profile.close();
    await damagePages(join(dir, "peer.db"), 2);
    await assertRefused(dir, /peer\.db: it is damaged/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
