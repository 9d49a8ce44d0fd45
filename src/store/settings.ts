/** Named settings kept in a database's `settings` table (for example the OPAQUE server setup). */
import type { DatabaseSync } from "node:sqlite";
import { transaction } from "./database.ts";

/** Returns the setting `name`, creating it with `create()` the first time. */
export function settingOrCreate(db: DatabaseSync, name: string, create: () => string): string {
  return transaction(db, () => {
    const row = db.prepare("SELECT value FROM settings WHERE name = ?").get(name) as
      | { value: string }
      | undefined;
    if (row) return row.value;
    const value = create();
    db.prepare("INSERT INTO settings (name, value) VALUES (?, ?)").run(name, value);
    return value;
  });
}
