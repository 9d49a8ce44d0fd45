/**
 * A running peer's connection to its rendezvous (the login lifecycle): register and log in, check our certificate,
 * publish prekeys, announce our addresses (and refresh them), follow presence, poll the mailbox
 * (mail_reader.ts), and reconnect with backoff when the rendezvous is lost.
 */
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { verifyCertificate } from "../crypto/statements.ts";
import { RemoteError } from "../errors.ts";
import { sealPeerRecord } from "../net/peer_record.ts";
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
import { ASKED_SOURCE, type FollowChange, FollowedUsers } from "./followed_users.ts";
import { MailReader } from "./mail_reader.ts";
import { registeredSetting } from "./registrations.ts";

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

/** The connection to the rendezvous; Peer connects it and stops it. */
export class RendezvousConnection {
  #presence?: PresenceFeed | undefined;
  #stopHeartbeat?: () => void;
  /** The users we follow, by source (declared again at each login), and our away text. */
  readonly #followed: FollowedUsers;
  #away = "";
  #discovery?: DiscoveryClient;
  #announcing?: ReturnType<typeof setInterval>;
  #polling?: ReturnType<typeof setInterval>;
  #stopping = false;
  readonly #mail: MailReader;

  /** Nothing happens until `connect`. */
  constructor(private readonly ports: RendezvousConnectionPorts) {
    this.#followed = new FollowedUsers(ports.username);
    this.#mail = new MailReader({ ...ports, stopping: () => this.#stopping });
  }

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
    await this.#mail.read(); // mail first, before anyone can reach us directly
    await ports.prekeys.publish((keys) => uploadPrekeys(ports.node, address, keys), ports.now());
    await ports.reachability.reserve(ports.rendezvous);
    await this.#announce();
    await this.#watchPresence();
    void this.#mail.read(); // what was mailed while we were announcing
    clearInterval(this.#polling);
    this.#polling = setInterval(() => void this.#mail.read(), MAIL_POLL_INTERVAL_MS);
    clearInterval(this.#announcing);
    this.#announcing = setInterval(() => {
      this.#announce().catch((err: unknown) => {
        this.ports.log.warn(`refreshing our addresses failed: ${(err as Error).message}`);
      });
    }, ANNOUNCE_INTERVAL_MS);
  }

  /**
   * Follows the presence of `names` too, for `source` (ASKED_SOURCE unless given; kept for every
   * later login); resolves once the rendezvous took them, at once when we are not connected.
   * @throws RangeError when that would make us follow more than MAX_FOLLOWED users.
   */
  async follow(names: readonly string[], source: string = ASKED_SOURCE): Promise<void> {
    await this.#declare({ added: this.#followed.add(source, names), removed: [] });
  }

  /**
   * Makes what `source` follows exactly `names` (a service's users, such as the members of our
   * rooms): those it drops are unfollowed unless another source still follows them. Resolves
   * once the rendezvous took the change, at once when we are not connected.
   * @throws RangeError when that would make us follow more than MAX_FOLLOWED users.
   */
  async setFollowed(source: string, names: readonly string[]): Promise<void> {
    await this.#declare(this.#followed.set(source, names));
  }

  /**
   * Tells the rendezvous whom `change` follows and unfollows (both asked at once: it answers in
   * order); a failure is logged. The unfollowed are no longer online() for us.
   */
  async #declare({ added, removed }: FollowChange): Promise<void> {
    removed.forEach((name) => this.ports.online.forget(name));
    const feed = this.#presence;
    const failed = (what: string, names: readonly string[]) => (err: unknown) => {
      this.ports.log.debug(`${what} ${names.length} users failed: ${(err as Error).message}`);
    };
    await Promise.all([
      removed.length > 0 && feed?.unfollow(removed).catch(failed("unfollowing", removed)),
      added.length > 0 && feed?.follow(added).catch(failed("following", added)),
    ]);
  }

  /** The users we follow, sorted. */
  followed(): string[] {
    return this.#followed.all();
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
          if (change.mailWaiting) void this.#mail.read();
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
    // Ourselves, or one just unfollowed whose change crossed our UNFOLLOW.
    if (username === ports.username || !this.#followed.has(username)) return;
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
