/**
 * Run by sealed_keys_test.ts: starts sealing the plaintext keys of the peer.db at Deno.args[0]
 * with the storage key beside it, and kills itself (SIGKILL, no cleanup) once `Deno.args[1]`
 * values are sealed — a crash in the middle of the one-time step.
 */
import { join } from "node:path";
import { sealExistingKeys } from "../../../src/peer/store/sealed_keys.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openPrivateDatabase } from "../../../src/store/database.ts";

const [dir = "", after = "1"] = Deno.args;
const storageKey = await Deno.readFile(join(dir, "storage.key"));
const db = await openPrivateDatabase(join(dir, "peer.db"), PEER_MIGRATIONS);
sealExistingKeys(db, storageKey, {
  onSealed: (count) => {
    if (count === Number(after)) Deno.kill(Deno.pid, "SIGKILL");
  },
});
Deno.exit(3); // not reached: the process died above
