/**
 * A thief with the disk reads the database files as bytes: what was deleted (a used one-time
 * prekey, an old chain key) must not be left behind in free pages or in the WAL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkpointWal, openPrivateDatabase } from "../../src/store/database.ts";
import { onDisk } from "./on_disk.ts";

Deno.test("a deleted secret is overwritten in the database and gone from the WAL after a checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-secure-delete-" });
  const path = join(dir, "test.db");
  const db = await openPrivateDatabase(path, [
    { version: 1, sql: "CREATE TABLE secrets (id INTEGER PRIMARY KEY, key BLOB NOT NULL) STRICT" },
  ]);
  try {
    // A recognisable 32-byte "private key", among other rows on the same page.
    const secret = new Uint8Array(32).map((_, i) => 0xa0 + i);
    db.prepare("INSERT INTO secrets (key) VALUES (?)").run(secret);
    for (let i = 0; i < 20; i++) {
      db.prepare("INSERT INTO secrets (key) VALUES (?)").run(new Uint8Array(32));
    }
    checkpointWal(db);
    assert.equal(await onDisk(path, secret), true, "the test can see a stored key");
    db.prepare("DELETE FROM secrets WHERE key = ?").run(secret);
    checkpointWal(db);
    assert.equal(await onDisk(path, secret), false, "no copy left in the file or its WAL");
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
