/** Errors reach the user as sentences; --verbose keeps the library's words. */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { childEnv, runTincan } from "./cli_process.ts";
import { stopAll, withRendezvous } from "./harness.ts";

Deno.test("a wrong /p2p/ in --rendezvous says what is wrong, not the Noise error; --verbose adds it", async () => {
  const { rendezvous, address } = await withRendezvous();
  const home = await Deno.makeTempDir({ prefix: "tincan-errors-" });
  try {
    const someoneElse = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const wrong = `${address.decapsulateCode(421).toString()}/p2p/${someoneElse}`;
    const args = [
      "register",
      "--user",
      "alice",
      "--profile",
      `${home}/alice`,
      "--rendezvous",
      wrong,
    ];
    const plain = await runTincan(args, childEnv());
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stderr, /the node there is not the one the address's \/p2p\/ PeerId names/);
    assert.doesNotMatch(plain.stderr, /Payload identity key/);
    const verbose = await runTincan([...args, "--verbose"], childEnv());
    assert.equal(verbose.code, 1, verbose.stderr);
    assert.match(verbose.stderr, /the node there is not the one .*\(detail: .*identity key/s);
  } finally {
    await stopAll(rendezvous);
    await Deno.remove(home, { recursive: true });
  }
});
