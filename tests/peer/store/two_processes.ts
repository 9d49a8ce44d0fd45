/** Test helper: two connections to one fresh peer.db, as two processes on one profile hold. */
import type { DatabaseSync } from "node:sqlite";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";

/** Runs `test` with two connections to a new peer.db file; closes and deletes them after. */
export async function withTwoConnections(
  test: (one: DatabaseSync, two: DatabaseSync) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const one = openDatabase(`${dir}/peer.db`, PEER_MIGRATIONS);
  const two = openDatabase(`${dir}/peer.db`, PEER_MIGRATIONS);
  try {
    await test(one, two);
  } finally {
    one.close();
    two.close();
    await Deno.remove(dir, { recursive: true });
  }
}
