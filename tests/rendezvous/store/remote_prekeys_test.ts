import assert from "node:assert/strict";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import { RemotePrekeysStore } from "../../../src/rendezvous/store/remote_prekeys.ts";
import { memoryStores } from "../protocol_harness.ts";

const NOW = 1_700_000_000_000;
const MEMORY = { keepMs: 1_000, maxPerUser: 3 };

function key(byte: number, kind = PrekeyKind.OneTime) {
  return { kind, publicKey: new Uint8Array(32).fill(byte) };
}

Deno.test("remote prekeys: a one-time prekey handed out twice for one remote user is caught", () => {
  const store = new RemotePrekeysStore(memoryStores().db);
  assert.equal(
    store.claim("work", "bob", [key(1), key(2, PrekeyKind.KemOneTime)], NOW, MEMORY),
    undefined,
  );
  assert.deepEqual(store.claim("work", "bob", [key(3), key(1)], NOW + 1, MEMORY), key(1));
  assert.equal(store.count("work", "bob"), 2, "a replaying bundle records nothing");
  assert.equal(store.claim("work", "bob", [key(2)], NOW + 1, MEMORY), undefined, "kinds apart");
  assert.equal(store.claim("work", "carol", [key(1)], NOW + 1, MEMORY), undefined, "users apart");
  assert.equal(store.claim("other", "bob", [key(1)], NOW + 1, MEMORY), undefined, "servers apart");
  assert.equal(store.claim("work", "bob", [], NOW + 1, MEMORY), undefined);
});

Deno.test("remote prekeys: the memory is pruned by age and bounded per remote user", () => {
  const store = new RemotePrekeysStore(memoryStores().db);
  for (let i = 1; i <= 5; i++) store.claim("work", "bob", [key(i)], NOW + i, MEMORY);
  assert.equal(store.count("work", "bob"), MEMORY.maxPerUser, "the newest kept");
  assert.equal(store.claim("work", "bob", [key(1)], NOW + 6, MEMORY), undefined, "forgotten");
  store.claim("work", "carol", [key(9)], NOW + 10_000, MEMORY);
  assert.equal(store.count("work", "bob"), 0, "older than keepMs: pruned");
});
