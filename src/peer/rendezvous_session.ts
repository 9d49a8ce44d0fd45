/**
 * A running peer's session with its rendezvous: register and log in, check our certificate,
 * publish prekeys, announce our addresses (and refresh them), follow presence, poll the mailbox,
 * and reconnect with backoff when the rendezvous is lost.
 */
import { CONTENT_KINDS } from "../protocol/ids.ts";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { verifyCertificate } from "../crypto/statements.ts";
import { RemoteError } from "../errors.ts";
import { sealPeerRecord } from "../net/peer_record.ts";
import { Receipt, type Refusal } from "../proto/mailbox.ts";
import { getSetting, setSetting } from "../store/settings.ts";
import { type AccountOptions, login, registerAccount } from "./clients/account.ts";
import type { PeerContext } from "./context.ts";
import { DiscoveryClient } from "./clients/discovery.ts";
import { type Incoming } from "./messaging/incoming.ts";
import type { Mailbox } from "./mailbox.ts";
import type { FetchedMail } from "./clients/mailbox.ts";
import type { Outgoing } from "./messaging/outgoing.ts";
import type { PrekeyManager } from "./prekey_manager.ts";
import { type PresenceFeed, subscribePresence } from "./clients/presence.ts";

/** The rendezvous namespace peers register their addresses in. */
export const PEER_NAMESPACE = "tincan/peers";
/** Registrations are refreshed this often, well inside the 2 h default TTL. */
export const ANNOUNCE_INTERVAL_MS = 60 * 60 * 1000;
/**
 * The mailbox is read at login, and then this often while online: mail deposited by a sender
 * who did not yet know we were back arrives within this time.
 */
export const MAIL_POLL_INTERVAL_MS = 30_000;
/** The multiaddr code of /p2p/. */
const P2P_CODE = 421;

/** What the session needs of the peer's options: the password and the account settings. */
export interface RendezvousSessionOptions extends AccountOptions {
  readonly password: string;
}

/** The rendezvous a peer is connected to (its pinned PeerId and its address). */
export interface RendezvousTarget {
  readonly peerId: PeerId;
  readonly address: Multiaddr;
}

/** The session with the rendezvous; Peer starts it, asks it who is online, and stops it. */
export class RendezvousSession {
  readonly #online = new Map<string, string>();
  #presence?: PresenceFeed;
  #discovery?: DiscoveryClient;
  #announcing?: ReturnType<typeof setInterval>;
  #polling?: ReturnType<typeof setInterval>;
  /** Whether `start` returned: until then, mail of a kind without a handler is deferred. */
  #started = false;
  /** Whether mail was deferred for want of a handler: registering one reads the mailbox. */
  #deferredMail = false;
  #stopping = false;

  /** Wires the session to the peer's collaborators; nothing happens until `connect`. */
  constructor(
    private readonly ctx: PeerContext,
    private readonly options: RendezvousSessionOptions,
    private readonly rendezvous: RendezvousTarget,
    private readonly prekeys: PrekeyManager,
    private readonly outgoing: Outgoing,
    private readonly incoming: Incoming,
    private readonly mailbox: Mailbox,
  ) {}

  /**
   * Registers (when asked, once per profile and rendezvous), logs in, checks our own
   * certificate, reads the mail, publishes prekeys and addresses, follows presence, and starts
   * the mail polling and address refresh timers.
   * @throws RemoteError when the rendezvous refuses (wrong password, name taken …).
   */
  async connect(register: boolean): Promise<void> {
    const { ctx, options } = this;
    const { db } = ctx.profile;
    const { address, peerId } = this.rendezvous;
    const registered = `registered:${peerId}:${ctx.username}`;
    let taken = false;
    if (register && getSetting(db, registered) === undefined) {
      try {
        await registerAccount(ctx.node, address, ctx.username, options.password, options);
      } catch (err: unknown) {
        // Taken: perhaps by this profile in a run that stopped before it could note it.
        if (!(err instanceof RemoteError && err.status === "E_USERNAME_TAKEN")) throw err;
        taken = true;
      }
    }
    let account;
    try {
      account = await login(ctx.node, address, ctx.username, options.password, options);
    } catch (err: unknown) {
      if (taken && err instanceof RemoteError && err.status === "E_LOGIN_FAILED") {
        throw new RemoteError(
          `Cannot register ${ctx.username}: the name is taken (if it is yours, the password is wrong)`,
          "E_USERNAME_TAKEN",
        );
      }
      throw err;
    }
    await verifyCertificate(account.certificate, peerId.publicKey!, ctx.now());
    if (getSetting(db, registered) === undefined) setSetting(db, registered, String(ctx.now()));
    if (account.keyChanged) {
      ctx.emit({
        type: "notice",
        text: "this device's key is new for your account: your contacts will see a key change",
      });
    }
    await this.#readMail(); // mail first, before anyone can reach us directly
    await this.prekeys.publish(ctx.node, address, ctx.now());
    await this.#announce();
    await this.#watchPresence();
    void this.#readMail(); // what was mailed while we were announcing
    clearInterval(this.#polling);
    this.#polling = setInterval(() => void this.#readMail(), MAIL_POLL_INTERVAL_MS);
    clearInterval(this.#announcing);
    this.#announcing = setInterval(() => {
      this.#announce().catch((err: unknown) => {
        this.ctx.log.warn(`refreshing our addresses failed: ${(err as Error).message}`);
      });
    }, ANNOUNCE_INTERVAL_MS);
  }

  /** Notes that the peer has started: mail of a kind without a handler is no longer deferred. */
  started(): void {
    this.#started = true;
  }

  /** Whether `username` is online at the rendezvous now. */
  isOnline(username: string): boolean {
    return this.#online.has(username);
  }

  /** Everyone online at the rendezvous now (usernames, sorted). */
  online(): string[] {
    return [...this.#online.keys()].sort();
  }

  /** A content handler was registered: reads the mail deferred for want of one, if any. */
  handlerAdded(): void {
    if (this.#deferredMail) {
      this.#deferredMail = false;
      queueMicrotask(() => void this.#readMail()); // after the other handlers registered with it
    }
  }

  /** Stops reconnecting, mail polling and address refreshing (the first step of Peer.stop). */
  stop(): void {
    this.#stopping = true;
    clearInterval(this.#announcing);
    clearInterval(this.#polling);
  }

  /** Unregisters our addresses and closes the discovery and presence streams; never throws. */
  async leave(): Promise<void> {
    await this.#discovery?.unregister(PEER_NAMESPACE).catch(() => {});
    await this.#discovery?.close().catch(() => {});
    await this.#presence?.close().catch(() => {});
  }

  /** After losing the rendezvous: try again with growing pauses until it works or we stop. */
  async #reconnect(): Promise<void> {
    for (let attempt = 0; !this.#stopping; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** attempt, 30_000)));
      if (this.#stopping) return;
      try {
        await this.connect(false);
        this.ctx.emit({
          type: "notice",
          text: "reconnected to the rendezvous",
          rendezvous: "back",
        });
        for (const to of this.ctx.outbox.recipientsWithUndelivered()) void this.outgoing.flush(to);
        return;
      } catch (err: unknown) {
        this.ctx.log.debug(`reconnecting failed: ${(err as Error).message}`);
        if (err instanceof RemoteError && err.status === "E_LOGIN_FAILED") {
          this.ctx.emit({ type: "notice", text: `cannot log in again: ${err.message}` });
          return;
        }
      }
    }
  }

  /** Reads our mailbox until it is empty; failures are logged (the next poll tries again). */
  async #readMail(): Promise<void> {
    try {
      const deferUnhandled = !this.#started; // decided when the read starts
      await this.mailbox.fetchAll((mail) => this.#processMail(mail, deferUnhandled));
    } catch (err: unknown) {
      if (!this.#stopping) {
        this.ctx.log.warn(`reading the mailbox failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Processes fetched mail in order, then writes one receipt to each sender (through the outbox,
   * so it survives a restart) before the batch is acknowledged. Returns the ids processed.
   */
  async #processMail(mail: readonly FetchedMail[], deferUnhandled: boolean): Promise<bigint[]> {
    const receipts = new Map<string, { delivered: Uint8Array[]; refused: Refusal[] }>();
    const done: bigint[] = [];
    try {
      for (const m of mail) {
        if (this.#stopping) break;
        const outcome = await this.incoming.onMail(m.envelope, deferUnhandled);
        if (outcome.deferred) {
          this.#deferredMail = true;
          continue;
        }
        done.push(m.id);
        if (outcome.from === undefined || outcome.messageId === undefined || outcome.receipt) {
          continue;
        }
        let receipt = receipts.get(outcome.from);
        if (receipt === undefined) {
          receipts.set(outcome.from, receipt = { delivered: [], refused: [] });
        }
        if (outcome.delivered) receipt.delivered.push(outcome.messageId);
        else receipt.refused.push({ messageId: outcome.messageId, reason: outcome.reason ?? "" });
      }
    } finally {
      for (const [to, receipt] of receipts) {
        await this.outgoing.write(to, "", CONTENT_KINDS.receipt, Receipt.encode(receipt), true);
      }
    }
    return done;
  }

  async #announce(): Promise<void> {
    const record = await sealPeerRecord(
      this.ctx.profile.identity,
      this.ctx.node.getMultiaddrs().map((a) => a.decapsulateCode(P2P_CODE)),
      BigInt(this.ctx.now()),
    );
    await this.#discovery?.close().catch(() => {});
    this.#discovery = await DiscoveryClient.open(this.ctx.node, this.rendezvous.address);
    await this.#discovery.register(PEER_NAMESPACE, record);
  }

  async #watchPresence(): Promise<void> {
    const feed = await subscribePresence(this.ctx.node, this.rendezvous.address);
    this.#presence = feed;
    void (async () => {
      try {
        for await (const change of feed.events) {
          this.#onPresence(change.username, change.online, change.peerId);
        }
      } catch (err: unknown) {
        this.ctx.log.debug(`presence feed ended: ${(err as Error).message}`);
      }
      if (this.#stopping) return;
      this.#online.clear();
      this.ctx.emit({
        type: "notice",
        text: "lost the connection to the rendezvous; retrying",
        rendezvous: "lost",
      });
      await this.#reconnect();
    })();
  }

  #onPresence(username: string, online: boolean, peerId: string): void {
    if (username === this.ctx.username) return;
    const was = this.#online.has(username);
    if (online) {
      this.#online.set(username, peerId);
      if (!was) this.ctx.emit({ type: "presence", username, online });
      this.outgoing.forget(username); // it may be back with new addresses or a new key
      void this.outgoing.flush(username);
    } else if (this.#online.get(username) === peerId) {
      this.#online.delete(username);
      this.ctx.emit({ type: "presence", username, online });
      // What it did not acknowledge goes to its mailbox.
      this.outgoing.forget(username);
      void this.outgoing.flush(username);
    }
  }
}
