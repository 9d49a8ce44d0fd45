/** What the rendezvous config tests share: parsing flags with no file, or with a given --config file. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { parseRendezvousConfig, type RendezvousConfig } from "../../src/rendezvous/config.ts";

/** Two PeerIds for --federate entries. */
export const WORK_ID = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
export const LAB_ID = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();

/** A readFile that finds no file. */
export const noFile = (path: string): string => {
  throw new Deno.errors.NotFound(`no such file ${path}`);
};

/** Parses flags alone (any --config file is missing). */
export const parseRendezvousArgs = (args: readonly string[]): RendezvousConfig =>
  parseRendezvousConfig(args, noFile);

/** Parses `args` with `text` as the contents of every --config file. */
export function withFile(text: string, args: readonly string[] = []): RendezvousConfig {
  return parseRendezvousConfig(["--config", "rv.toml", ...args], () => text);
}
