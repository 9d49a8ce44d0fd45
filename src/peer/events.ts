/** What a running peer tells its user interface (the REPL, `listen`, tests). */

/** Hex of a message id, as shown to users and in `listen --json`. */
export type MessageIdHex = string;

/**
 * How a message was carried: a direct connection, a connection relayed by the rendezvous, or the
 * rendezvous mailbox.
 */
export type Via = "direct" | "relayed" | "mailbox";

export type PeerEvent =
  /**
   * A message arrived, `via` a direct or relayed chat link or the rendezvous mailbox.
   * `keyChanged` when the sender's key differs from the one pinned; `trusted` is false then: it
   * is from a key not yet trusted as `from` (show it as such until /trust). `sentAt` is the
   * sender's clock, or ours when that was far off (over a day ahead, over a year behind), and then
   * `clockNote` says what it claimed.
   */
  | {
    type: "message";
    id: MessageIdHex;
    from: string;
    to: string;
    text: string;
    sentAt: number;
    clockNote?: string;
    keyChanged: boolean;
    trusted: boolean;
    via: Via;
  }
  /**
   * The recipient's mailbox at the rendezvous accepted one of our messages (it is offline); or,
   * with `queuedFor`, our home holds it for the recipient's node `queuedFor` (unreachable now),
   * to forward it later ("queued for work"): a later `forwarded` event says it reached that
   * node's mailbox, or a failed event why not.
   */
  | { type: "queued"; id: MessageIdHex; to: string; queuedFor?: string }
  /** Our home forwarded one of our messages to the mailbox at the recipient's node. */
  | { type: "forwarded"; id: MessageIdHex; to: string; server: string }
  /**
   * The recipient acknowledged one of our messages, on a link `via` a direct or relayed
   * connection, or by a receipt after reading it from its mailbox.
   */
  | { type: "delivered"; id: MessageIdHex; to: string; via?: Via }
  /** One of our messages cannot be delivered. */
  | { type: "failed"; id: MessageIdHex; to: string; reason: string }
  /** Someone came online or went offline. */
  | {
    type: "presence";
    username: string;
    online: boolean;
    /** Its away text, when it came online away or (awayChanged) set or cleared it. */
    away?: string;
    /** Only the away text changed ("" when the user is back). */
    awayChanged?: true;
  }
  /**
   * A contact's identity key changed; messages to them are held until /trust (blocked if
   * verified). `detail` says what else is wrong (the account re-created, the key log rewritten …).
   */
  | { type: "key-changed"; username: string; blocked: boolean; detail?: string }
  /**
   * A new session with `username` (started by either side) uses X3DH, without post-quantum keys.
   * `downgrade`: `username` had them before — an older version on its side, or a rendezvous
   * stripping them from its bundle; like a key change, worth comparing safety numbers. Messages
   * are not held. Otherwise `username` never published any (an older version).
   */
  | { type: "x3dh-session"; username: string; downgrade: boolean }
  /**
   * Anything else the user should know; `rendezvous` is set when the connection to the rendezvous
   * was lost or is back. `fatal`: the peer stopped (its profile is damaged; `text` says which
   * file and what to do).
   */
  | { type: "notice"; text: string; rendezvous?: "lost" | "back"; fatal?: true };

/** Receives peer events. */
export type PeerListener = (event: PeerEvent) => void;
