/** A full disk for tests: SQLite's page limit makes writes fail with SQLITE_FULL. */
import type { DatabaseSync } from "node:sqlite";
import { selectOne } from "../../src/store/database.ts";

/** Caps `db` at its current size plus `extraPages`: writes past it fail with SQLITE_FULL. */
export function capPages(db: DatabaseSync, extraPages: number): void {
  const pages = Number(selectOne<{ page_count: number }>(db, "PRAGMA page_count")?.page_count);
  db.exec(`PRAGMA max_page_count = ${pages + extraPages}`);
}

/** Lifts the cap of capPages: space is back. */
export function uncapPages(db: DatabaseSync): void {
  db.exec("PRAGMA max_page_count = 4294967294");
}
