import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { storageFailure } from "../../src/store/storage_failure.ts";

Deno.test("storageFailure tells a full disk and a damaged file from other errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-storage-failure-" });
  try {
    const path = `${dir}/x.db`;
    await Deno.writeFile(path, new TextEncoder().encode("not a database, not at all ".repeat(200)));
    const db = new DatabaseSync(path);
    try {
      assert.throws(() => db.exec("SELECT * FROM sqlite_master"), (err: unknown) => {
        assert.equal(storageFailure(err), "corrupt");
        return true;
      });
    } finally {
      db.close();
    }
    const mem = new DatabaseSync(":memory:");
    try {
      assert.throws(() => mem.exec("SELECT * FROM nothing"), (err: unknown) => {
        assert.equal(storageFailure(err), undefined);
        return true;
      });
    } finally {
      mem.close();
    }
    assert.equal(storageFailure(new TypeError("x")), undefined);
    assert.equal(storageFailure("full"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
