/** A ChatPeer for REPL tests: records what the REPL asks of it, answers from fixed data. */
import assert from "node:assert/strict";
import { FederatedServer } from "../../../src/proto/services.ts";
import type { ChatPeer } from "../../../src/cli/repl/registry.ts";
import type { PeerEvent, PeerListener } from "../../../src/peer/events.ts";
import type { HistoryLine, Route } from "../../../src/peer/peer.ts";
import type { SessionProtocol } from "../../../src/peer/store/contact_protocols.ts";

/** alice's peer, with bob online: sends, trust and history recorded; emit() plays events. */
export class FakePeer implements ChatPeer {
  readonly username = "alice";
  readonly sent: { to: string; text: string }[] = [];
  readonly verified: string[] = [];
  readonly trusted: string[] = [];
  readonly listeners = new Set<PeerListener>();
  onlineUsers = ["bob"];
  on(listener: PeerListener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: PeerEvent) {
    this.listeners.forEach((l) => l(event));
  }
  online() {
    return this.onlineUsers;
  }
  /** Away texts of those online, and ours. */
  readonly awayTexts = new Map<string, string>();
  listOnline(cursor: string | undefined, limit: number): ReturnType<ChatPeer["listOnline"]> {
    const all = [this.username, ...this.onlineUsers].sort().filter((u) => !cursor || u > cursor);
    const users = all.slice(0, limit).map((username) => ({
      username,
      away: this.awayTexts.get(username) ?? "",
    }));
    return Promise.resolve({
      users,
      next: all.length > limit ? users.at(-1)!.username : undefined,
    });
  }
  readonly followed: string[] = [];
  follow(names: readonly string[]) {
    this.followed.push(...names);
    return Promise.resolve();
  }
  setAway(text: string) {
    if (text.length > 200) return Promise.reject(new RangeError("Away text too long"));
    this.awayTexts.set(this.username, text);
    return Promise.resolve();
  }
  contacts(): ReturnType<ChatPeer["contacts"]> {
    return [
      { username: "bob", online: true, away: this.awayTexts.get("bob") ?? "", trust: "verified" },
      { username: "carol", online: false, away: "", trust: "key-changed" },
    ];
  }
  send(to: string, text: string) {
    this.sent.push({ to, text });
    return Promise.resolve(`id${this.sent.length}`);
  }
  safetyNumber(user: string) {
    if (user !== "bob") return Promise.reject(new RangeError(`${user} is not a contact`));
    return Promise.resolve(Array(12).fill("12345").join(" "));
  }
  sessionProtocol(_user: string): SessionProtocol {
    return "pqxdh";
  }
  markVerified(user: string, seen: string) {
    this.verified.push(`${user} ${seen}`);
  }
  pendingKey(user: string) {
    const fingerprint = Array(6).fill("54321").join(" ");
    return user === "bob"
      ? { fingerprint, safetyNumber: `${fingerprint} ${fingerprint}` }
      : undefined;
  }
  trust(user: string, seen: string) {
    this.trusted.push(`${user} ${seen}`);
    return user === "bob" ? 1 : undefined;
  }
  heldMessages(_user: string) {
    return Promise.resolve([{ id: "aa", text: "written for the old key", kind: "", writtenAt: 0 }]);
  }
  resendHeld(user: string) {
    return user === "bob" ? 1 : undefined;
  }
  discardHeld(_user: string) {
    return 1;
  }
  whois(_user: string): ReturnType<ChatPeer["whois"]> {
    return Promise.reject(new RangeError("not in this test"));
  }
  readonly historyAsked: (string | undefined)[] = [];
  history(user: string | undefined, _limit: number): Promise<HistoryLine[]> {
    this.historyAsked.push(user);
    return Promise.resolve([
      { id: "1", peer: "bob", outgoing: false, sentAt: 0, text: "old", broadcast: false },
    ]);
  }
  readonly home = "home";
  servers(): ReturnType<ChatPeer["servers"]> {
    return Promise.resolve({
      home: "home",
      servers: [{
        name: "work",
        peerId: "12D3KooW",
        state: FederatedServer.LinkState.DOWN,
        lastError: "connection refused",
        since: 0n,
        queuedMail: 2,
        vouch: new Uint8Array(0),
      }],
    });
  }
  readonly listed: string[] = [];
  listOnlineAt(server: string | undefined, cursor = ""): ReturnType<ChatPeer["listOnlineAt"]> {
    this.listed.push(`${server} ${cursor}`);
    if (server === "nowhere") {
      return Promise.reject(new RangeError("nowhere is not a server home federates with"));
    }
    return Promise.resolve(
      cursor === ""
        ? { online: [{ username: "bob@work", since: 0n }], nextCursor: "bob" }
        : { online: [{ username: "carol@work", since: 0n }], nextCursor: "" },
    );
  }
  pendingServerKey(server: string) {
    return server === "work" ? "11111 22222" : undefined;
  }
  trustServer(server: string, fingerprint: string) {
    return server === "work" && fingerprint === "11111 22222";
  }
  route(user: string): Promise<Route> {
    return Promise.resolve({
      user,
      attempts: [],
      carrier: "queued",
      why: `${user} is offline`,
      lines: [`${user}: queued`],
    });
  }
}

/**
 * Waits (up to 2 s) until `screen()` matches `pattern`.
 * @throws AssertionError when it never does, with what the screen showed.
 */
export async function waitToSee(screen: () => string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!pattern.test(screen())) {
    if (Date.now() > deadline) assert.fail(`never saw ${pattern} in:\n${screen()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
