/** The event that tells the user a new session is X3DH, not PQXDH (events.ts, "x3dh-session"). */
import type { HandshakeProtocol } from "../../crypto/pqxdh.ts";
import type { PeerEvent } from "../events.ts";

/**
 * The event for a new session with `username` using `protocol`, or undefined for PQXDH (the
 * normal case, said by /verify); `downgraded` as ContactProtocolStore.recordSession found.
 */
export function sessionProtocolEvent(
  username: string,
  protocol: HandshakeProtocol,
  downgraded: boolean,
): PeerEvent | undefined {
  return protocol === "x3dh"
    ? { type: "x3dh-session", username, downgrade: downgraded }
    : undefined;
}
