import assert from "node:assert/strict";
import { openDatabase } from "../../src/store/database.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../src/rendezvous/store/schema.ts";
import { getSetting, setSetting, settingOrCreate } from "../../src/store/settings.ts";

Deno.test("settingOrCreate creates a setting once and returns the stored value after", () => {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    let calls = 0;
    const create = () => `value-${++calls}`;
    assert.equal(settingOrCreate(db, "opaque-setup", create), "value-1");
    assert.equal(settingOrCreate(db, "opaque-setup", create), "value-1");
    assert.equal(calls, 1);
    assert.equal(settingOrCreate(db, "other", create), "value-2");
    assert.equal(settingOrCreate(db, "opaque-setup", () => assert.fail("not called")), "value-1");
  } finally {
    db.close();
  }
});

Deno.test("settingOrCreate stores nothing when create throws", () => {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    assert.throws(
      () =>
        settingOrCreate(db, "s", () => {
          throw new TypeError("no entropy");
        }),
      TypeError,
    );
    assert.equal(settingOrCreate(db, "s", () => "later"), "later");
  } finally {
    db.close();
  }
});

Deno.test("settingOrCreate persists across reopening a database file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-settings-test-" });
  try {
    const path = `${dir}/settings.db`;
    const first = openDatabase(path, RENDEZVOUS_MIGRATIONS);
    assert.equal(settingOrCreate(first, "opaque-setup", () => "secret"), "secret");
    first.close();
    const second = openDatabase(path, RENDEZVOUS_MIGRATIONS);
    assert.equal(settingOrCreate(second, "opaque-setup", () => "other"), "secret");
    second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getSetting and setSetting read, create and overwrite a setting", () => {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    assert.equal(getSetting(db, "pin"), undefined);
    setSetting(db, "pin", "one");
    assert.equal(getSetting(db, "pin"), "one");
    setSetting(db, "pin", "two");
    assert.equal(getSetting(db, "pin"), "two");
    assert.equal(settingOrCreate(db, "pin", () => assert.fail("not called")), "two");
    assert.equal(getSetting(db, "other"), undefined);
  } finally {
    db.close();
  }
});
