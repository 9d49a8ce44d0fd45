import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { PeerId } from "@libp2p/interface";
import assert from "node:assert/strict";
import {
  type ReplaceableConnection,
  ReplacedLogins,
  TELL_TIMEOUT_MS,
} from "../../src/rendezvous/replaced_logins.ts";

/** A connection double that records how it was ended. */
function connection(id: string, remotePeer: PeerId, closeFails = false) {
  const ended: string[] = [];
  const double: ReplaceableConnection = {
    id,
    remotePeer,
    close: () => {
      ended.push("close");
      return closeFails ? Promise.reject(new Error("stuck")) : Promise.resolve();
    },
    abort: () => {
      ended.push("abort");
    },
  };
  return { double, ended };
}

async function peer(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
}

Deno.test("ReplacedLogins: the newer login tells and closes the older ones, never itself", async () => {
  const [p, oldKey, stranger] = [await peer(), await peer(), await peer()];
  const current = connection("c2", p);
  const sameKey = connection("c1", p);
  const otherKey = connection("c0", oldKey, true);
  const unrelated = connection("c9", stranger);
  const byPeer = new Map([
    [p.toString(), [sameKey.double, current.double]],
    [oldKey.toString(), [otherKey.double]],
    [stranger.toString(), [unrelated.double]],
  ]);
  const logins = new ReplacedLogins((id) => byPeer.get(id) ?? []);
  const told: string[] = [];
  logins.listen("c1", (text) => Promise.resolve(void told.push(`c1: ${text}`)));
  const stop = logins.listen("c0", (text) => Promise.resolve(void told.push(`c0: ${text}`)));
  logins.listen("c2", () => Promise.reject(new Error("the current login is never told")));

  assert.equal(await logins.replaceOlder(current.double, "alice", oldKey.toString()), 2);
  assert.deepEqual(told.sort(), [
    "c0: alice logged in from another identity key; this login is replaced",
    "c1: alice logged in again with this identity key from another connection " +
    "(another tincan on this profile?); this login is replaced",
  ]);
  assert.deepEqual(sameKey.ended, ["close"]);
  assert.deepEqual(otherKey.ended, ["close", "abort"], "a close that fails is an abort");
  assert.deepEqual(current.ended, []);
  assert.deepEqual(unrelated.ended, []);

  // Once unregistered, a connection is closed without being told.
  stop();
  told.length = 0;
  await logins.replaceOlder(current.double, "alice", oldKey.toString());
  assert.deepEqual(told.map((t) => t.slice(0, 3)), ["c1:"]);
});

Deno.test("ReplacedLogins: a presence stream that does not take the news holds the login up at most TELL_TIMEOUT_MS", async () => {
  const p = await peer();
  const current = connection("new", p);
  const stuck = connection("old", p);
  const logins = new ReplacedLogins(() => [stuck.double, current.double]);
  logins.listen("old", () => new Promise<void>(() => {}));
  const started = performance.now();
  await logins.replaceOlder(current.double, "alice", undefined);
  const took = performance.now() - started;
  assert.ok(took >= TELL_TIMEOUT_MS - 50 && took < TELL_TIMEOUT_MS + 2000, `took ${took} ms`);
  assert.deepEqual(stuck.ended, ["close"]);
});
