/** Named settings kept in a database's `settings` table (the OPAQUE server setup, pins …). */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectOne, transaction } from "./database.ts";

/** Returns the setting `name`, creating it with `create()` the first time. */
export function settingOrCreate(db: DatabaseSync, name: string, create: () => string): string {
  return transaction(db, () => {
    const existing = getSetting(db, name);
    if (existing !== undefined) return existing;
    const value = create();
    setSetting(db, name, value);
    return value;
  });
}

/** The setting `name`, or undefined. */
export function getSetting(db: DatabaseSync, name: string): string | undefined {
  return selectOne<{ value: string }>(db, "SELECT value FROM settings WHERE name = ?", name)?.value;
}

/** Sets `name` to `value`. */
export function setSetting(db: DatabaseSync, name: string, value: string): void {
  prepared(
    db,
    "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  ).run(name, value);
}
