import assert from "node:assert/strict";
import { generateKeyPair, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { join } from "node:path";
import { canTakeOver, embeddedPeerId, refusedTakeover } from "../../src/embedded/takeover.ts";

Deno.test("takeover: the node key's PeerId is read from the data directory, never made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await embeddedPeerId(dir), undefined);
    const key = await generateKeyPair("Ed25519");
    await Deno.writeFile(join(dir, "node.key"), privateKeyToProtobuf(key));
    assert.equal(await embeddedPeerId(dir), peerIdFromPrivateKey(key).toString());
    await Deno.writeFile(join(dir, "node.key"), new Uint8Array([1, 2, 3]));
    assert.equal(await embeddedPeerId(dir), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("takeover: only from data that holds the pinned PeerId (another HOME's data never)", () => {
  assert.equal(canTakeOver("12D3KooWA", "12D3KooWA"), true);
  assert.equal(canTakeOver("12D3KooWB", "12D3KooWA"), false, "another user's data");
  assert.equal(canTakeOver(undefined, "12D3KooWA"), false, "no data: a new one would be new");
  assert.equal(canTakeOver("12D3KooWA", undefined), false, "nothing pinned to compare");
  assert.match(
    refusedTakeover("/home/gina/.local/share/tincan/rendezvous", "12D3KooWB", "12D3KooWA"),
    /cannot take it over: the data in \/home\/gina\S+ is another rendezvous \(12D3KooWB\), not the one everyone trusts \(12D3KooWA\)/,
  );
  assert.match(refusedTakeover("/d", undefined, "X"), /no local rendezvous data of yours in \/d/);
});
