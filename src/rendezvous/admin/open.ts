/**
 * Opens a rendezvous data directory's database for `tincan admin`, beside a node that may be
 * running on it: SQLite's locking (WAL, BEGIN IMMEDIATE, a busy timeout) keeps the two writers
 * apart, and the node notices the changes (enforcer.ts).
 */
import { join } from "node:path";
import { openPrivateDatabase } from "../../store/database.ts";
import { RENDEZVOUS_MIGRATIONS } from "../store/schema.ts";
import { AdminActions } from "./actions.ts";

/**
 * The account actions over `dataDir`'s database, and the function that closes it.
 * @throws Deno.errors.NotFound when `dataDir` holds no rendezvous database.
 */
export async function openAdmin(
  dataDir: string,
): Promise<{ actions: AdminActions; close: () => void }> {
  const path = join(dataDir, "rendezvous.db");
  try {
    await Deno.stat(path);
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `${dataDir} holds no rendezvous database (rendezvous.db); give the --data of the rendezvous`,
      );
    }
    throw err;
  }
  const db = await openPrivateDatabase(path, RENDEZVOUS_MIGRATIONS);
  return { actions: new AdminActions(db, Date.now), close: () => db.close() };
}
