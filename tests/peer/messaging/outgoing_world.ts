/** Outgoing on in-memory SQLite with fakes, for the outgoing tests. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PeerId } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import type { DatabaseSync } from "node:sqlite";
import { logger } from "../../../src/log.ts";
import type { ResolvedUser } from "../../../src/peer/directory.ts";
import type { PeerEvent } from "../../../src/peer/events.ts";
import type { LinkToken } from "../../../src/peer/messaging/chat_links.ts";
import { Outgoing } from "../../../src/peer/messaging/outgoing.ts";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import { HistoryStore } from "../../../src/peer/store/history.ts";
import { OutboxStore } from "../../../src/peer/store/outbox.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { peerIdOfKey } from "../../../src/peer/trust.ts";
import { openDatabase } from "../../../src/store/database.ts";

const bobKey = (await generateKeyPair("Ed25519")).publicKey.raw;
const bobPeer = peerIdOfKey(bobKey);
export const NOW = 1_700_000_000_000;

export interface World {
  readonly db: DatabaseSync;
  readonly outgoing: Outgoing;
  readonly outbox: OutboxStore;
  readonly events: PeerEvent[];
  readonly sent: Uint8Array[];
  readonly mailed: Uint8Array[];
  resolves: number;
  close(): void;
}

/** Outgoing on in-memory SQLite, with fakes for the encryptor, resolver, links and mail. */
export function world(fakes: {
  send?: (peer: PeerId, envelope: Uint8Array) => Promise<LinkToken>;
  deposit?: (to: string, envelope: Uint8Array) => Promise<{ queuedFor?: string }>;
  resolve?: () => Promise<ResolvedUser>;
  addresses?: boolean;
  online?: boolean;
  withoutMail?: boolean;
} = {}): World {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const outbox = new OutboxStore(db);
  const events: PeerEvent[] = [];
  const sent: Uint8Array[] = [];
  const mailed: Uint8Array[] = [];
  let link: LinkToken | undefined; // the one open chat link, once a send made it
  const user: ResolvedUser = {
    username: "bob",
    identityKey: bobKey,
    standing: "trusted",
    expiresAt: Number.MAX_SAFE_INTEGER,
    peerId: bobPeer,
    addresses: fakes.addresses === false ? [] : [multiaddr("/ip4/127.0.0.1/tcp/1")],
  };
  const w: World = {
    db,
    outbox,
    events,
    sent,
    mailed,
    resolves: 0,
    close: () => {
      w.outgoing.close();
      db.close();
    },
    outgoing: new Outgoing({
      username: "alice",
      stores: {
        db,
        outbox,
        history: new HistoryStore(db),
        contacts: new ContactStore(db),
        storageKey: new Uint8Array(32).fill(7),
      },
      encryptor: {
        encryptAll(items) {
          return Promise.resolve(items.map(({ entry, content }) => {
            const envelope = Uint8Array.of(...entry.messageId, content.length);
            outbox.setEnvelope(entry.messageId, envelope, NOW);
            return envelope;
          }));
        },
      },
      resolver: {
        resolve: (to) => {
          w.resolves++;
          return fakes.resolve?.() ?? Promise.resolve({ ...user, username: to });
        },
      },
      links: {
        send: fakes.send ?? ((_peer, envelope) => {
          sent.push(envelope);
          link ??= { via: "direct" };
          return Promise.resolve(link);
        }),
        current: () => link,
      },
      ...(fakes.withoutMail ? {} : {
        mail: {
          deposit: fakes.deposit ?? ((_to, envelope) => {
            mailed.push(envelope);
            return Promise.resolve({});
          }),
          isOnline: () => fakes.online ?? false,
        },
      }),
      now: () => NOW,
      emit: (event) => events.push(event),
      log: logger("test"),
    }),
  };
  return w;
}

export const unreachable = () => Promise.reject(new Error("connection refused"));
