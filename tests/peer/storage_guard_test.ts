import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { PeerEvent } from "../../src/peer/events.ts";
import { ProfileError } from "../../src/peer/profile_errors.ts";
import { StorageGuard } from "../../src/peer/storage_guard.ts";
import { capPages } from "../store/cap_pages.ts";

/** The error SQLite throws for `sql` on `db`. */
function sqliteError(db: DatabaseSync, sql: string): unknown {
  try {
    db.exec(sql);
  } catch (err: unknown) {
    return err;
  }
  throw new Error(`${sql} did not fail`);
}

Deno.test("storage guard: a full disk is told once until space is back; corruption stops the peer once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-guard-" });
  const events: PeerEvent[] = [];
  let stops = 0;
  const guard = new StorageGuard({ dir, emit: (e) => events.push(e), stop: () => stops++ });
  const db = new DatabaseSync(":memory:");
  try {
    db.exec("CREATE TABLE t (x BLOB)");
    capPages(db, 0);
    const full = sqliteError(db, `INSERT INTO t VALUES (zeroblob(100000))`);
    assert.equal(guard.check(full), "full");
    guard.full(3);
    guard.full(3);
    assert.deepEqual(events.map((e) => e.type === "notice" && e.text.slice(0, 42)), [
      "disk full: 3 messages waiting at the rende",
    ]);
    guard.writable();
    assert.match(events[1]!.type === "notice" ? events[1]!.text : "", /space is back/);
    assert.match(
      guard.localFailure(full)!.message,
      /^Cannot start: the disk holding .*peer\.db is full/,
    );
    assert.equal(stops, 0);

    await Deno.writeFile(`${dir}/junk.db`, new Uint8Array(8192).fill(0x5a));
    const junk = new DatabaseSync(`${dir}/junk.db`);
    const corrupt = sqliteError(junk, "SELECT * FROM sqlite_master");
    junk.close();
    assert.equal(guard.check(corrupt), "corrupt");
    assert.equal(guard.check(corrupt), "corrupt");
    assert.equal(stops, 1, "stopped once");
    const fatal = events.filter((e) => e.type === "notice" && e.fatal);
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!.type === "notice" ? fatal[0]!.text : "", /peer\.db is damaged/);
    const local = guard.localFailure(corrupt);
    assert.ok(local instanceof ProfileError);
    assert.doesNotMatch(local.message, /Cannot log in/);
    assert.match(local.message, /tincan profile repair/);
    assert.equal(guard.check(new TypeError("other")), undefined);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
