/** The stores of the profile a peer works with, opened together. */
import type { Profile } from "../profile.ts";
import { ContactProtocolStore } from "./contact_protocols.ts";
import { ContactStore } from "./contacts.ts";
import { HistoryStore } from "./history.ts";
import { OutboxStore } from "./outbox.ts";
import { OwnKemKeyStore } from "./own_kem_keys.ts";
import { OwnKeyStore } from "./own_keys.ts";
import { RatchetSessionStore } from "./ratchet_sessions.ts";

/** The stores of the profile the peer works with. */
export interface PeerStores {
  readonly outbox: OutboxStore;
  readonly history: HistoryStore;
  readonly contacts: ContactStore;
  readonly ratchetSessions: RatchetSessionStore;
  readonly ownKeys: OwnKeyStore;
  readonly kemKeys: OwnKemKeyStore;
  readonly protocols: ContactProtocolStore;
}

/** Opens the peer's stores on `profile`'s database (the sealed ones with its storage key). */
export function openPeerStores(profile: Pick<Profile, "db" | "storageKey">): PeerStores {
  const { db, storageKey } = profile;
  return {
    outbox: new OutboxStore(db),
    history: new HistoryStore(db),
    contacts: new ContactStore(db),
    ratchetSessions: new RatchetSessionStore(db, storageKey),
    ownKeys: new OwnKeyStore(db, storageKey),
    kemKeys: new OwnKemKeyStore(db, storageKey),
    protocols: new ContactProtocolStore(db),
  };
}
