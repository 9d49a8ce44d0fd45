/**
 * The node's Ed25519 key, created once and kept in a file so the PeerId is stable across restarts.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";

/**
 * Loads the key at `path`, or creates it (owner-only permissions) when the file does not exist.
 * @throws TypeError when the file exists but does not hold an Ed25519 key.
 */
export async function loadOrCreateNodeKey(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const key = await generateKeyPair("Ed25519");
    await Deno.writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, createNew: true });
    return key;
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (err: unknown) {
    throw new TypeError(`Cannot read the node key in ${path}: the file is damaged`, { cause: err });
  }
  if (key.type !== "Ed25519") {
    throw new TypeError(`Cannot use the node key in ${path}: it is ${key.type}, not Ed25519`);
  }
  return key;
}
