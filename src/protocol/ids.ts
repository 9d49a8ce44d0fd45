/**
 * Every protocol id and content kind tincan speaks, in one table (DESIGN.md, "Protocols"). Both
 * roles import these; neither defines its own.
 */

/** libp2p protocol ids. */
export const PROTOCOL = {
  /** OPAQUE register / login (rendezvous). */
  account: "/tincan/account/1.0.0",
  /** The libp2p rendezvous spec, for presence (rendezvous). */
  rendezvous: "/rendezvous/1.0.0",
  /** User lookup and prekey upload (rendezvous). */
  directory: "/tincan/directory/1.0.0",
  /** Presence by interest: online/offline of followed users, /list pages, heartbeats (rendezvous). */
  presence: "/tincan/presence/2.0.0",
  /** Sealed mail for offline users (rendezvous). */
  mailbox: "/tincan/mailbox/1.0.0",
  /** One long-lived stream per pair of peers: envelopes and acknowledgements (peer). */
  chat: "/tincan/chat/1.0.0",
  /** Encrypted, chunked, resumable file data (peer). */
  file: "/tincan/file/1.0.0",
  /** Node to node, between listed rendezvous only: lookups, forwarded mail, presence (rendezvous). */
  federation: "/tincan/federation/1.0.0",
} as const;

/**
 * Content kinds: what a decrypted message carries (chat.proto Content.kind). The chat text is
 * the empty kind; every other kind goes to the feature that handles it.
 *
 *   "tincan.receipt"   mailbox.proto Receipt: the recipient's receipt for mail it fetched
 *   "room/invite"      RoomListUpdate: an admin's signed member list that adds the recipient
 *   "room/members"     RoomListUpdate: a new signed member list (adds or removes members)
 *   "room/sender-key"  RoomSenderKey: the sender's sender-key chain, with the list it holds
 *   "room/message"     SignedSenderKeyMessage, encrypted once with the sender's chain
 *   "room/leave"       RoomLeave: the sender leaves; the first other admin signs it out
 *   "broadcast"        text only: a message to everyone online (each pairwise encrypted)
 *   "file/offer"       FileOffer, sender → recipient
 *   "file/reply"       FileReply, recipient → sender
 */
export const CONTENT_KINDS = {
  chat: "",
  receipt: "tincan.receipt",
  room: {
    invite: "room/invite",
    members: "room/members",
    senderKey: "room/sender-key",
    message: "room/message",
    leave: "room/leave",
  },
  broadcast: "broadcast",
  file: { offer: "file/offer", reply: "file/reply" },
} as const;
