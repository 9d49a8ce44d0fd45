/**
 * A peer: a libp2p node with the user's identity, logged in to its rendezvous, with its mail
 * read, its prekeys published, its addresses registered, a live presence feed, chat links to
 * other peers, and the services (rooms, files …) it was created with. The CLI and tests make one
 * with createPeer, listen to its events with `on`, then `start` it. Its life cycle is
 * peer_core.ts, what runs between `start` and `stop` running_peer.ts; this is the chat API.
 */
import { safetyNumber } from "../crypto/safety_number.ts";
import { normalizeServerName } from "../protocol/qualified_name.ts";
import {
  listOnline,
  listServers,
  type ServerList,
  type ServerOnlinePage,
} from "./clients/directory.ts";
import { type ContactListing, listContacts } from "./contact_listing.ts";
import type { HeldMessage, Whois } from "./contact_trust.ts";
import type { MessageIdHex, PeerEvent } from "./events.ts";
import { ASKED_SOURCE } from "./followed_users.ts";
import { type HistoryLine, readHistory } from "./history_lines.ts";
import { markOutboxFailed } from "./messaging/outbox_failure.ts";
import { homedUsername } from "./names.ts";
import { PeerCore } from "./peer_core.ts";
import type { NoServices, PeerOptions } from "./peer_options.ts";
import { formatRoute, type RouteReport } from "./route/route_report.ts";
import type { ServiceFactories } from "./service.ts";
import { type SessionProtocol, sessionProtocolOf } from "./store/contact_protocols.ts";

export { DEFAULT_PEER_LISTEN, type NoServices, type PeerOptions } from "./peer_options.ts";
export type { ContactListing, HistoryLine, PeerEvent };

/** How long `route` may take to find a path (the dial policy's timeouts, and a margin). */
const ROUTE_TIMEOUT_MS = 10_000;

/** How messages to a user go now, and the same as lines for people (see route_report.ts). */
export type Route = RouteReport & { readonly lines: readonly string[] };

/**
 * Makes a peer and its services, without starting anything: add listeners with `on`, then
 * `start()`.
 * @throws RangeError when two services handle the same content kind or protocol.
 */
export function createPeer<F extends ServiceFactories = NoServices>(
  options: PeerOptions<F>,
): Peer<F> {
  return new Peer(options);
}

/** A peer; make one with createPeer. */
export class Peer<F extends ServiceFactories = ServiceFactories> extends PeerCore<F> {
  /**
   * The users we follow (contacts, room members, and those given to follow()) who are online
   * now (usernames, sorted). Everyone online is listOnline's, one page at a time.
   */
  online(): string[] {
    return this.onlineUsers.online();
  }

  /** Our home rendezvous's name, once it said it after login (undefined: no federation). */
  get home(): string | undefined {
    return this.names.name;
  }

  /**
   * The stored form of a typed name: `bob`, or `bob@work` (`bob@<home>` is `bob`).
   * @throws RangeError for a bad name.
   */
  nameOf(input: string): string {
    return this.names.canonical(input);
  }

  /**
   * Our home's name and the nodes it federates with, with their link state (for /servers).
   * @throws RemoteError when the rendezvous refuses; an Error when it cannot be reached.
   */
  async servers(): Promise<ServerList> {
    const run = this.run;
    return await listServers(run.node, run.home());
  }

  /**
   * One page of the users online at the federated node `server` (our home when undefined or our
   * home's name), from `cursor` on, through the directory; names are shown as typed here
   * (`bob@work`). For our home, listOnline() pages through the presence stream.
   * @throws RemoteError E_UNKNOWN_SERVER for a node our home does not federate with,
   * E_REMOTE_UNAVAILABLE when it cannot be reached.
   */
  async listOnlineAt(server: string | undefined, cursor = ""): Promise<ServerOnlinePage> {
    const run = this.run;
    const folded = server === undefined ? undefined : normalizeServerName(server);
    const remote = folded === this.names.name ? undefined : folded;
    const page = await listOnline(run.node, run.home(), remote, cursor);
    return {
      online: page.online.map((u) => ({
        ...u,
        username: remote === undefined ? u.username : `${u.username}@${remote}`,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** The fingerprint of the changed key our home now vouches for `server`, if any. */
  pendingServerKey(server: string): string | undefined {
    return this.run.issuers.pending(normalizeServerName(server));
  }

  /**
   * Trusts the changed key of `server` if `fingerprint` is the one shown; returns whether it did.
   */
  trustServer(server: string, fingerprint: string): boolean {
    return this.run.issuers.trust(normalizeServerName(server), fingerprint, this.now());
  }

  /**
   * Follows the presence of `names` too (for this and later logins): their online, offline and
   * away changes become presence events, and online() includes them. Resolves once the
   * rendezvous took them (their current state is known then).
   * @throws RangeError when that would make us follow more than MAX_FOLLOWED users; TypeError
   * when the peer is not started.
   */
  async follow(names: readonly string[]): Promise<void> {
    const stored = names.map((name) => this.names.canonical(name));
    await this.run.connection.follow(stored, ASKED_SOURCE);
  }

  /** The away text of `username` ("" when not away), or undefined when it is not followed online. */
  awayOf(username: string): string | undefined {
    return this.onlineUsers.awayOf(username);
  }

  /**
   * Sets our away text at the rendezvous, shown to those who follow us ("" clears it); it lasts
   * until we log out (and is set again after a reconnect).
   * @throws RangeError when it is longer than MAX_AWAY_CHARS or has control characters.
   */
  async setAway(text: string): Promise<void> {
    await this.run.connection.setAway(text);
  }

  /** Our away text ("" when not away). */
  get away(): string {
    return this.running?.connection.away ?? "";
  }

  /**
   * Sends `text` to `to`; returns the message id. Delivery is reported by a delivered or failed
   * event; until then the message waits in the outbox and is resent as needed.
   */
  async send(to: string, text: string): Promise<MessageIdHex> {
    this.followContact(to); // one we talk to
    return await this.run.outgoing.write(this.names.canonical(to), text);
  }

  /**
   * How messages to `username` go now — direct, relayed or queued — and why better paths failed;
   * dials along the dial-order policy when no connection is open.
   * @throws like resolvePeer.
   */
  async route(username: string): Promise<Route> {
    const name = this.names.canonical(username);
    const peerId = await this.resolvePeer(name);
    const { router } = this.run;
    const signal = AbortSignal.timeout(ROUTE_TIMEOUT_MS);
    const report = await router.report(name, peerId, this.onlineUsers.isOnline(name), signal);
    return { ...report, lines: formatRoute(report, (id) => router.relayName(id)) };
  }

  /**
   * Leaves the unacknowledged message `id` in its recipient's mailbox now, instead of waiting
   * for a direct acknowledgement. Returns whether it is queued there.
   * @throws RemoteError when the mailbox refuses it; an Error when the rendezvous is unreachable.
   */
  async mailNow(id: MessageIdHex): Promise<boolean> {
    return await this.run.outgoing.mailNow(id);
  }

  /**
   * Marks our message `id` failed for `reason` (it will not be sent later) unless it was
   * delivered or queued meanwhile; returns where it ends up. Works after `stop` too, until the
   * profile is closed.
   * @throws RangeError when there is no such message.
   */
  markFailed(id: MessageIdHex, reason: string): "delivered" | "queued" | "failed" {
    const status = markOutboxFailed(this.stores.outbox, id, reason, this.now());
    if (status === "failed") this.running?.outgoing.settled(id);
    return status;
  }

  /** The last `limit` messages with `peer` (all when undefined), oldest first. */
  async history(peer: string | undefined, limit: number): Promise<HistoryLine[]> {
    const stored = peer && this.names.canonical(peer);
    return await readHistory(this.stores, this.options.profile.storageKey, stored, limit);
  }

  /** The contacts (everyone we talked to), sorted, with their presence and trust state. */
  contacts(): ContactListing[] {
    return listContacts(
      this.stores.contacts,
      this.onlineUsers,
      this.running?.connection.followed() ?? [],
    );
  }

  /**
   * The safety number of this user and `username` (60 digits in 12 groups), from the pinned key.
   * @throws RangeError when `username` is not a contact yet.
   */
  async safetyNumber(username: string): Promise<string> {
    const name = this.names.canonical(username);
    const { contacts } = this.stores;
    let contact = contacts.get(name);
    if (contact === undefined) {
      await this.run.directory.resolve(name, this.now());
      contact = contacts.get(name);
    }
    if (contact === undefined) throw new RangeError(`${name} is not a contact`);
    return safetyNumber(
      { username: this.username, identityKey: this.signer.publicKey },
      { username: homedUsername(name), identityKey: contact.identityKey },
    );
  }

  /**
   * How sessions with `username` are set up: "pqxdh", "x3dh" (it publishes no post-quantum keys),
   * "x3dh-downgraded" (it did before: see the x3dh-session event), or "none" (no session yet).
   */
  sessionProtocol(username: string): SessionProtocol {
    return sessionProtocolOf(this.stores.protocols.get(this.names.canonical(username)));
  }

  /**
   * Marks `username` verified if `safetyNumber` is the one shown (`safetyNumber(username)`): a
   * later key change blocks.
   * @throws FingerprintMismatchError when it is not the current safety number; RangeError when
   * `username` is not a contact.
   */
  markVerified(username: string, safetyNumber: string): void {
    this.contactTrust.markVerified(this.names.canonical(username), safetyNumber);
  }

  /** The fingerprint and safety number of `username`'s changed key awaiting /trust, if any. */
  pendingKey(username: string): { fingerprint: string; safetyNumber: string } | undefined {
    return this.contactTrust.pending(this.names.canonical(username));
  }

  /**
   * Trusts `username`'s changed key if `seen` is its fingerprint or safety number as shown
   * (`pendingKey`). Held messages stay held: see `heldMessages`, then `resendHeld` or
   * `discardHeld`. Returns how many are held, or undefined when the key has not changed.
   * @throws FingerprintMismatchError when `seen` is not the pending key's (it changed again).
   */
  trust(username: string, seen: string): number | undefined {
    return this.contactTrust.trust(this.names.canonical(username), seen);
  }

  /** The messages to `username` held since its key changed, oldest first. */
  heldMessages(username: string): Promise<HeldMessage[]> {
    return this.contactTrust.held(this.names.canonical(username));
  }

  /**
   * Sends the held messages to `username`'s trusted key; returns how many, or undefined while
   * the key change is not trusted.
   */
  resendHeld(username: string): number | undefined {
    return this.contactTrust.resendHeld(this.names.canonical(username));
  }

  /** Gives up the held messages to `username` (reported failed); returns how many. */
  discardHeld(username: string): number {
    return this.contactTrust.discardHeld(this.names.canonical(username));
  }

  /**
   * What the rendezvous certifies for `username` now, and its key log, checked.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  whois(username: string): Promise<Whois> {
    return this.contactTrust.whois(this.names.canonical(username));
  }
}
