import assert from "node:assert/strict";
import { logger } from "../../src/log.ts";
import { pruneSeenPeriodically } from "../../src/peer/seen_pruning.ts";
import { HistoryStore, SEEN_MAX_AGE_MS } from "../../src/peer/store/history.ts";
import { PEER_MIGRATIONS } from "../../src/peer/store/schema.ts";
import { openDatabase } from "../../src/store/database.ts";

const NOW = 1_700_000_000_000;
const ALICE = Uint8Array.of(1);

Deno.test("seen ids past their age are pruned at start and then on every interval", async () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const history = new HistoryStore(db);
  let now = NOW;
  history.markSeen(ALICE, Uint8Array.of(1), NOW - SEEN_MAX_AGE_MS - 1);
  history.markSeen(ALICE, Uint8Array.of(2), NOW);
  const stop = pruneSeenPeriodically(history, () => now, logger("test"), 5);
  try {
    assert.equal(history.seen(ALICE, Uint8Array.of(1)), false, "pruned at start");
    assert.equal(history.seen(ALICE, Uint8Array.of(2)), true);
    now = NOW + SEEN_MAX_AGE_MS + 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(history.seen(ALICE, Uint8Array.of(2)), false, "pruned on a later round");
  } finally {
    stop();
    db.close();
  }
});
