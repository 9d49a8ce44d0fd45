/**
 * The first links of the chain a peer checks for another node's user, pure: its own home vouches
 * for the remote node's key (server_vouch.ts), and that key is judged against the one pinned for
 * the node's name. The key then verifies the user's certificate and key log (trust.ts). The
 * home's judgement of the remote's bytes is not trusted: only its signature over the vouch is.
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PublicKey } from "@libp2p/interface";
import { verifyServerVouch } from "../../crypto/server_vouch.ts";
import { bytesEqual } from "../../crypto/bytes.ts";
import { StatementError } from "../../crypto/statements.ts";
import type { ServerVouch } from "../../proto/federation.ts";

/** A remote node's key, as its vouch names it. */
export interface VouchedServer {
  readonly name: string;
  /** The raw Ed25519 key its statements verify with. */
  readonly key: Uint8Array;
  readonly publicKey: PublicKey;
  /** When the vouch expires (ms since the Unix epoch): ask the home again after. */
  readonly expiresAt: number;
}

/**
 * Verifies the home's vouch for `server` (case-folded) with `homeKey`, at `now`.
 * @throws StatementError when there is no vouch, or it does not verify, names another server,
 * or is expired.
 */
export async function verifyVouch(
  vouch: Uint8Array | undefined,
  homeKey: PublicKey,
  server: string,
  now: number,
): Promise<VouchedServer> {
  if (vouch === undefined || vouch.length === 0) {
    throw new StatementError(`the rendezvous sent no vouch for server ${server}`);
  }
  const statement: ServerVouch = await verifyServerVouch(vouch, homeKey, server, now);
  return {
    name: server,
    key: statement.key,
    publicKey: publicKeyFromRaw(statement.key),
    expiresAt: Number(statement.expiresAt),
  };
}

/** How a vouched key compares with the one pinned for that server name. */
export type ServerKeyStanding = "new" | "trusted" | "changed";

/** Pure: how `vouched` stands against the key `pinned` for the same server (if any). */
export function judgeServerKey(
  pinned: Uint8Array | undefined,
  vouched: Uint8Array,
): ServerKeyStanding {
  if (pinned === undefined) return "new";
  return bytesEqual(pinned, vouched) ? "trusted" : "changed";
}
