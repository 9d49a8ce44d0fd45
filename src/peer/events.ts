/** What a running peer tells its user interface (the REPL, `listen`, tests). */

/** Hex of a message id, as shown to users and in `listen --json`. */
export type MessageIdHex = string;

export type PeerEvent =
  /**
   * A message arrived, `via` a direct chat link or the rendezvous mailbox. `keyChanged` when the
   * sender's key differs from the one pinned.
   */
  | {
    type: "message";
    id: MessageIdHex;
    from: string;
    to: string;
    text: string;
    sentAt: number;
    keyChanged: boolean;
    via: "direct" | "mailbox";
  }
  /** The recipient's mailbox at the rendezvous accepted one of our messages (it is offline). */
  | { type: "queued"; id: MessageIdHex; to: string }
  /** The recipient acknowledged one of our messages. */
  | { type: "delivered"; id: MessageIdHex; to: string }
  /** One of our messages cannot be delivered. */
  | { type: "failed"; id: MessageIdHex; to: string; reason: string }
  /** Someone came online or went offline. */
  | { type: "presence"; username: string; online: boolean }
  /** A contact's identity key changed; messages to them are held until /trust (blocked if verified). */
  | { type: "key-changed"; username: string; blocked: boolean }
  /**
   * Anything else the user should know; `rendezvous` is set when the connection to the rendezvous
   * was lost or is back.
   */
  | { type: "notice"; text: string; rendezvous?: "lost" | "back" };

/** Receives peer events. */
export type PeerListener = (event: PeerEvent) => void;

/** Hex of a byte string. */
export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Bytes of a hex string.
 * @throws TypeError when it is not hex.
 */
export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new TypeError(`"${hex}" is not a hex string`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
