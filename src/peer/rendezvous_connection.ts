/**
 * A running peer's connection to its rendezvous (the login lifecycle): register and log in, check our certificate,
 * publish prekeys, announce our addresses (and refresh them), follow presence, poll the mailbox,
 * and reconnect with backoff when the rendezvous is lost.
 */
import { CONTENT_KINDS } from "../protocol/ids.ts";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { DatabaseSync } from "node:sqlite";
import { verifyCertificate } from "../crypto/statements.ts";
import { RemoteError } from "../errors.ts";
import { sealPeerRecord } from "../net/peer_record.ts";
import { Receipt, type Refusal } from "../proto/mailbox.ts";
import { selectAll } from "../store/database.ts";
import { getSetting, setSetting } from "../store/settings.ts";
import { type AccountOptions, login, registerAccount } from "./clients/account.ts";
import { uploadPrekeys } from "./clients/directory.ts";
import type { Logger } from "../log.ts";
import { backoffDelay } from "../net/backoff.ts";
import type { TincanNode } from "../net/node.ts";
import type { PeerEvent } from "./events.ts";
import type { Profile } from "./profile.ts";
import type { OnlineUsers } from "./online_users.ts";
import { DiscoveryClient } from "./clients/discovery.ts";
import { type Incoming } from "./messaging/incoming.ts";
import type { MailDrop } from "./mail_drop.ts";
import type { FetchedMail } from "./clients/mailbox.ts";
import type { Outgoing } from "./messaging/outgoing.ts";
import type { PrekeyManager } from "./prekey_manager.ts";
import type { StorageGuard } from "./storage_guard.ts";
import type { ResetAnswers } from "./messaging/reset_answers.ts";
import {
  type OnlinePage,
  type Presence,
  type PresenceFeed,
  subscribePresence,
} from "./clients/presence.ts";
import { startHeartbeat } from "./presence_heartbeat.ts";
import { checkAwayText } from "../protocol/away_text.ts";
import { MAX_FOLLOWED } from "../protocol/limits.ts";

/** The rendezvous namespace peers register their addresses in. */
export const PEER_NAMESPACE = "tincan/peers";
/** Registrations are refreshed this often, well inside the 2 h default TTL. */
export const ANNOUNCE_INTERVAL_MS = 60 * 60 * 1000;
/**
 * The mailbox is read at login, at once when the rendezvous pushes "mail waiting", and then this
 * often while online, as a safety net (a push lost with a dropped presence stream).
 */
export const MAIL_POLL_INTERVAL_MS = 30_000;
/** The pauses between attempts to reconnect to a lost rendezvous (before jitter). */
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

/** The setting that records `username`'s registration at the rendezvous `rendezvousId`. */
const registeredSetting = (rendezvousId: string, username: string) =>
  `registered:${rendezvousId}:${username}`;

/**
 * The PeerIds of the rendezvous where this profile registered `username` (and then logged in):
 * none means the next registration is this profile's first.
 */
export function registrations(db: DatabaseSync, username: string): string[] {
  const suffix = `:${username}`;
  return selectAll<{ name: string }>(
    db,
    "SELECT name FROM settings WHERE substr(name, 1, 11) = 'registered:' ORDER BY name",
  ).map((row) => row.name).filter((name) => name.endsWith(suffix))
    .map((name) => name.slice("registered:".length, -suffix.length));
}

/** What the connection needs of the peer's options: the password and the account settings. */
export interface RendezvousLoginOptions extends AccountOptions {
  readonly password: string;
}

/** The rendezvous a peer is connected to (its pinned PeerId and its address). */
export interface RendezvousTarget {
  readonly peerId: PeerId;
  readonly address: Multiaddr;
}

/** What the connection works with. */
export interface RendezvousConnectionPorts {
  readonly username: string;
  readonly node: TincanNode;
  readonly profile: Pick<Profile, "db" | "identity">;
  readonly login: RendezvousLoginOptions;
  readonly rendezvous: RendezvousTarget;
  readonly prekeys: PrekeyManager;
  readonly outgoing: Pick<Outgoing, "flush" | "flushAll" | "forget" | "write">;
  readonly incoming: Pick<Incoming, "onMail">;
  readonly mailDrop: Pick<MailDrop, "fetchAll">;
  /** Updated from the presence feed. */
  readonly online: OnlineUsers;
  /**
   * Drops our connections to `peerId` (the rendezvous says it went offline: a link to it may be
   * dead without either side knowing, as when its machine vanished).
   */
  readonly dropLinks: (peerId: string) => void;
  /** Our reachability: a relay slot reserved after each login, and the addresses to announce. */
  readonly reachability: {
    reserve(rendezvous: RendezvousTarget): Promise<void>;
    announceable(rendezvous: Multiaddr): Multiaddr[];
  };
  readonly emit: (event: PeerEvent) => void;
  /** Called after each login, before the mail is read (the peer learns its home's name). */
  readonly loggedIn?: () => Promise<void>;
  /** Tells a full disk (mail then waits at the rendezvous) from a damaged one (fatal). */
  readonly storage: Pick<StorageGuard, "check" | "full" | "writable">;
  /** SESSION_RESET answers to mail no session decrypts, sent once their senders are reachable. */
  readonly resets: Pick<ResetAnswers, "add" | "deliver">;
  readonly now: () => number;
  readonly log: Logger;
}

/** The receipts to write after a batch of mail, by sender, with the ids of that sender's mail. */
type Receipts = Map<string, { delivered: Uint8Array[]; refused: Refusal[]; mailIds: bigint[] }>;

/** The connection to the rendezvous; Peer connects it and stops it. */
export class RendezvousConnection {
  #presence?: PresenceFeed | undefined;
  #stopHeartbeat?: () => void;
  /** The users we follow (declared again at each login), and our away text ("" = not away). */
  readonly #followed = new Set<string>();
  #away = "";
  #discovery?: DiscoveryClient;
  #announcing?: ReturnType<typeof setInterval>;
  #polling?: ReturnType<typeof setInterval>;
  #stopping = false;
  /** The mailbox read running now, and whether another was asked for meanwhile. */
  #reading?: Promise<void> | undefined;
  #readAgain = false;

  /** Nothing happens until `connect`. */
  constructor(private readonly ports: RendezvousConnectionPorts) {}

  /**
   * Registers (when asked, once per profile and rendezvous), logs in, checks our own
   * certificate, reads the mail, publishes prekeys and addresses, follows presence, and starts
   * the mail polling and address refresh timers.
   * @throws RemoteError when the rendezvous refuses (wrong password, name taken …).
   */
  async connect(register: boolean): Promise<void> {
    const { ports } = this;
    const options = ports.login;
    const { db } = ports.profile;
    const { address, peerId } = ports.rendezvous;
    const registered = registeredSetting(peerId.toString(), ports.username);
    let taken = false;
    if (register && getSetting(db, registered) === undefined) {
      try {
        await registerAccount(ports.node, address, ports.username, options.password, options);
      } catch (err: unknown) {
        // Taken: perhaps by this profile in a run that stopped before it could note it.
        if (!(err instanceof RemoteError && err.status === "E_USERNAME_TAKEN")) throw err;
        taken = true;
      }
    }
    let account;
    try {
      account = await login(ports.node, address, ports.username, options.password, options);
    } catch (err: unknown) {
      if (taken && err instanceof RemoteError && err.status === "E_LOGIN_FAILED") {
        throw new RemoteError(
          `Cannot register ${ports.username}: the name is taken (if it is yours, the password is wrong)`,
          "E_USERNAME_TAKEN",
        );
      }
      throw err;
    }
    await verifyCertificate(account.certificate, peerId.publicKey!, ports.now());
    if (getSetting(db, registered) === undefined) setSetting(db, registered, String(ports.now()));
    if (account.keyChanged) {
      ports.emit({
        type: "notice",
        text: "this device's key is new for your account: your contacts will see a key change",
      });
    }
    await ports.loggedIn?.();
    await this.#readMail(); // mail first, before anyone can reach us directly
    await ports.prekeys.publish((keys) => uploadPrekeys(ports.node, address, keys), ports.now());
    await ports.reachability.reserve(ports.rendezvous);
    await this.#announce();
    await this.#watchPresence();
    void this.#readMail(); // what was mailed while we were announcing
    clearInterval(this.#polling);
    this.#polling = setInterval(() => void this.#readMail(), MAIL_POLL_INTERVAL_MS);
    clearInterval(this.#announcing);
    this.#announcing = setInterval(() => {
      this.#announce().catch((err: unknown) => {
        this.ports.log.warn(`refreshing our addresses failed: ${(err as Error).message}`);
      });
    }, ANNOUNCE_INTERVAL_MS);
  }

  /**
   * Follows the presence of `names` too (kept for every later login); resolves once the
   * rendezvous took them, at once when we are not connected.
   * @throws RangeError when that would make us follow more than MAX_FOLLOWED users.
   */
  async follow(names: readonly string[]): Promise<void> {
    const added = [...new Set(names)].filter((n) =>
      n !== this.ports.username && !this.#followed.has(n)
    );
    if (added.length === 0) return;
    if (this.#followed.size + added.length > MAX_FOLLOWED) {
      throw new RangeError(
        `Cannot follow ${this.#followed.size + added.length} users' presence: at most ` +
          `${MAX_FOLLOWED} (contacts and room members)`,
      );
    }
    added.forEach((name) => this.#followed.add(name));
    await this.#presence?.follow(added).catch((err: unknown) => {
      this.ports.log.debug(`following ${added.length} users failed: ${(err as Error).message}`);
    });
  }

  /** The users we follow, sorted. */
  followed(): string[] {
    return [...this.#followed].sort();
  }

  /**
   * Sets our away text at the rendezvous ("" clears it); kept and set again after a reconnect.
   * @throws RangeError when the text is too long or has control characters; RemoteError when
   * the rendezvous refuses it.
   */
  async setAway(text: string): Promise<void> {
    const away = checkAwayText(text);
    this.#away = away;
    await this.#presence?.setAway(away);
  }

  /** Our away text ("" when not away). */
  get away(): string {
    return this.#away;
  }

  /**
   * One page of everyone online at the rendezvous (sorted by username) after `cursor`.
   * @throws RemoteError when we are not connected to the rendezvous, or it refuses.
   */
  async list(cursor: string | undefined, limit: number): Promise<OnlinePage> {
    if (this.#presence === undefined) {
      throw new RemoteError(
        "Cannot list who is online: not connected to the rendezvous",
        "E_UNAVAILABLE",
      );
    }
    return await this.#presence.list(cursor, limit);
  }

  /**
   * The username logged in on `peerId` at the rendezvous (undefined when nobody is, or we are
   * not connected); that user is followed from then on.
   */
  async who(peerId: string): Promise<string | undefined> {
    const name = await this.#presence?.who(peerId).catch(() => undefined);
    if (name !== undefined) await this.follow([name]).catch(() => {});
    return name;
  }

  /** Stops reconnecting, mail polling and address refreshing (the first step of Peer.stop). */
  stop(): void {
    this.#stopping = true;
    this.#stopHeartbeat?.();
    clearInterval(this.#announcing);
    clearInterval(this.#polling);
  }

  /** Unregisters our addresses and closes the discovery and presence streams; never throws. */
  async leave(): Promise<void> {
    await this.#discovery?.unregister(PEER_NAMESPACE).catch(() => {});
    await this.#discovery?.close().catch(() => {});
    await this.#presence?.close().catch(() => {});
  }

  /** After losing the rendezvous: try again with growing, jittered pauses until it works or we stop. */
  async #reconnect(): Promise<void> {
    const { ports } = this;
    for (let attempt = 0; !this.#stopping; attempt++) {
      const delay = backoffDelay(attempt, { minMs: RECONNECT_MIN_MS, maxMs: RECONNECT_MAX_MS });
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.#stopping) return;
      try {
        await this.connect(false);
        ports.emit({
          type: "notice",
          text: "reconnected to the rendezvous",
          rendezvous: "back",
        });
        ports.outgoing.flushAll();
        return;
      } catch (err: unknown) {
        ports.log.debug(`reconnecting failed: ${(err as Error).message}`);
        if (err instanceof RemoteError && err.status === "E_LOGIN_FAILED") {
          ports.emit({ type: "notice", text: `cannot log in again: ${err.message}` });
          return;
        }
      }
    }
  }

  /**
   * Reads our mailbox until it is empty; failures are logged (the next poll tries again). A call
   * while a read runs joins it, and makes it read once more (the new mail may be past its fetch).
   */
  #readMail(): Promise<void> {
    if (this.#reading) {
      this.#readAgain = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        try {
          await this.ports.mailDrop.fetchAll((mail) => this.#processMail(mail));
        } catch (err: unknown) {
          if (!this.#stopping) {
            this.ports.log.warn(`reading the mailbox failed: ${(err as Error).message}`);
          }
        }
      } while (this.#readAgain && !this.#stopping);
      void this.ports.resets.deliver();
    })().finally(() => this.#reading = undefined);
    return this.#reading;
  }

  /**
   * Processes fetched mail in order, then writes one receipt to each sender (through the outbox,
   * so it survives a restart) before the batch is acknowledged. Returns the ids processed.
   */
  async #processMail(mail: readonly FetchedMail[]): Promise<bigint[]> {
    const receipts: Receipts = new Map();
    const done: bigint[] = [];
    const { storage } = this.ports;
    let failure: { err: unknown } | undefined;
    try {
      for (const m of mail) {
        if (this.#stopping) break;
        let outcome;
        try {
          outcome = await this.ports.incoming.onMail(m.envelope);
        } catch (err: unknown) {
          // A full disk: this mail and the rest stay at the rendezvous for the next read.
          if (storage.check(err) !== "full") throw err;
          storage.full(mail.length - done.length);
          break;
        }
        done.push(m.id);
        if (outcome.resetBy !== undefined && outcome.messageId !== undefined) {
          this.ports.resets.add(outcome.resetBy, outcome.messageId, outcome.reason ?? "");
          continue; // its sender is asked to reset the session, not told it was refused
        }
        if (outcome.from === undefined || outcome.messageId === undefined || outcome.receipt) {
          continue;
        }
        let receipt = receipts.get(outcome.from);
        if (receipt === undefined) {
          receipts.set(outcome.from, receipt = { delivered: [], refused: [], mailIds: [] });
        }
        receipt.mailIds.push(m.id);
        if (outcome.delivered) receipt.delivered.push(outcome.messageId);
        else receipt.refused.push({ messageId: outcome.messageId, reason: outcome.reason ?? "" });
      }
    } catch (err: unknown) {
      failure = { err };
    }
    await this.#writeReceipts(receipts, mail.length, done);
    if (failure) throw failure.err;
    if (done.length === mail.length) storage.writable();
    return done;
  }

  /**
   * Writes one receipt to each sender (through the outbox, so it survives a restart). When the
   * disk is full, that sender's mail is taken out of `done`: it stays at the rendezvous and is
   * read again (as duplicates, which get their receipt then).
   */
  async #writeReceipts(receipts: Receipts, fetched: number, done: bigint[]): Promise<void> {
    const { storage } = this.ports;
    for (const [to, { delivered, refused, mailIds }] of receipts) {
      try {
        await this.ports.outgoing.write(
          to,
          "",
          CONTENT_KINDS.receipt,
          Receipt.encode({ delivered, refused }),
          true,
        );
      } catch (err: unknown) {
        if (storage.check(err) !== "full") throw err;
        for (const id of mailIds) done.splice(done.indexOf(id), 1);
        storage.full(fetched - done.length);
      }
    }
  }

  async #announce(): Promise<void> {
    const { ports } = this;
    const record = await sealPeerRecord(
      ports.profile.identity,
      ports.reachability.announceable(ports.rendezvous.address),
      BigInt(ports.now()),
    );
    await this.#discovery?.close().catch(() => {});
    this.#discovery = await DiscoveryClient.open(ports.node, ports.rendezvous.address);
    await this.#discovery.register(PEER_NAMESPACE, record);
  }

  async #watchPresence(): Promise<void> {
    const { ports } = this;
    const declared = this.followed();
    const feed = await subscribePresence(ports.node, ports.rendezvous.address, declared);
    // Those followed while the subscription was on its way.
    await feed.follow(this.followed().filter((name) => !declared.includes(name)));
    if (this.#away !== "") await feed.setAway(this.#away);
    this.#presence = feed;
    this.#stopHeartbeat?.();
    const stopHeartbeat = this.#stopHeartbeat = startHeartbeat({
      beat: () => feed.heartbeat(),
      onDead: (reason) => {
        ports.log.info(`the rendezvous stopped answering: ${reason.message}; reconnecting`);
        for (const c of ports.node.getConnections(ports.rendezvous.peerId)) c.abort(reason);
        void feed.close();
      },
    });
    void (async () => {
      try {
        for await (const change of feed.events) {
          if (change.mailWaiting) void this.#readMail();
          else this.#onPresence(change);
        }
      } catch (err: unknown) {
        this.ports.log.debug(`presence feed ended: ${(err as Error).message}`);
        if (err instanceof RemoteError && err.status === "E_REPLACED" && !this.#stopping) {
          // Logging in again would replace the newer login in turn, and so on, both ways.
          this.ports.online.clear();
          this.ports.emit({
            type: "notice",
            text: `logged out: ${err.message}; not logging in again (start this peer again ` +
              `to take the login back)`,
          });
          return;
        }
      } finally {
        stopHeartbeat();
        if (this.#presence === feed) this.#presence = undefined;
      }
      if (this.#stopping) return;
      this.ports.online.clear();
      this.ports.emit({
        type: "notice",
        text: "lost the connection to the rendezvous; retrying",
        rendezvous: "lost",
      });
      await this.#reconnect();
    })();
  }

  #onPresence({ username, online, peerId, away }: Presence): void {
    const { ports } = this;
    if (username === ports.username) return;
    if (online) {
      const arrival = ports.online.arrived(username, peerId, away);
      if (arrival === "away") {
        ports.emit({ type: "presence", username, online, away, awayChanged: true });
        return;
      }
      if (arrival === "arrived") {
        ports.emit({ type: "presence", username, online, ...(away ? { away } : {}) });
      }
      void ports.resets.deliver(); // it may be a sender waiting to be asked for a session reset
      ports.outgoing.forget(username); // it may be back with new addresses or a new key
      void ports.outgoing.flush(username);
    } else if (ports.online.left(username, peerId)) {
      ports.emit({ type: "presence", username, online });
      ports.dropLinks(peerId);
      // What it did not acknowledge goes to its mailbox.
      ports.outgoing.forget(username);
      void ports.outgoing.flush(username);
    }
  }
}
