/**
 * The server vouch: a home rendezvous's statement "the federated node named `name` is the node
 * with Ed25519 key `key`, from `issuedAt` until `expiresAt`", signed with the home's node key.
 * A peer trusts its own home's key; the vouch carries that trust to the key that signs a remote
 * user's certificate, so a remote node cannot be impersonated by anyone but the peer's own home.
 *
 * Wire layout: a SignedStatement { body, signature } (certificate.proto) where body is an encoded
 * ServerVouch (federation.proto) and the Ed25519 signature covers
 * "tincan-server-vouch-v1" ‖ 0x00 ‖ body.
 */
import type { PrivateKey, PublicKey } from "@libp2p/interface";
import { ServerVouch } from "../proto/federation.ts";
import { checkValidity, openStatement, signStatement, StatementError } from "./statements.ts";

/** The domain string of server vouches: a vouch cannot pass for another kind of statement. */
export const SERVER_VOUCH_DOMAIN = "tincan-server-vouch-v1";

/** Signs `vouch` with the home's node key; returns the encoded SignedStatement. */
export async function issueServerVouch(vouch: ServerVouch, key: PrivateKey): Promise<Uint8Array> {
  return await signStatement(SERVER_VOUCH_DOMAIN, ServerVouch.encode(vouch), key);
}

/**
 * Verifies a vouch signed by `home`, valid at `now`, for the server named `name` (already
 * case-folded). Returns it; its `key` is the raw Ed25519 key the remote's statements must verify
 * with.
 * @throws StatementError naming what is wrong (signature, name, key length, expiry, malformed).
 */
export async function verifyServerVouch(
  bytes: Uint8Array,
  home: PublicKey,
  name: string,
  now: number,
): Promise<ServerVouch> {
  const body = await openStatement(SERVER_VOUCH_DOMAIN, bytes, home);
  let vouch: ServerVouch;
  try {
    vouch = ServerVouch.decode(body);
  } catch (err: unknown) {
    throw new StatementError("malformed server vouch body", { cause: err });
  }
  if (vouch.name !== name) {
    throw new StatementError(`the server vouch is for ${vouch.name}, not ${name}`);
  }
  if (vouch.key.length !== 32) throw new StatementError("server vouch key is not 32 bytes");
  checkValidity(vouch, now, "server vouch", `the vouch for server ${name}`);
  return vouch;
}
