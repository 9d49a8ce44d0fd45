/** The REPL over in-memory streams and a fake peer: no terminal, no network. */
import assert from "node:assert/strict";
import { FederatedServer } from "../../../src/proto/services.ts";
import { PassThrough } from "node:stream";
import type { ChatPeer } from "../../../src/cli/repl/registry.ts";
import { type ReplOptions, startRepl } from "../../../src/cli/repl/repl.ts";
import { MAX_TEXT_BYTES } from "../../../src/cli/peer_args.ts";
import { FakeTerminal } from "./fake_terminal.ts";
import type { PeerEvent, PeerListener } from "../../../src/peer/events.ts";
import type { HistoryLine, Route } from "../../../src/peer/peer.ts";
import type { SessionProtocol } from "../../../src/peer/store/contact_protocols.ts";
import type { FileTransfers, TransferListing } from "../../../src/peer/files/file_transfers.ts";
import type { ReplFiles } from "../../../src/cli/repl/registry.ts";

class FakePeer implements ChatPeer {
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

function harness() {
  const peer = new FakePeer();
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = "";
  output.on("data", (chunk: Uint8Array | string) => screen += String(chunk));
  const repl = startRepl(peer, { input, output, color: false });
  const type = (line: string) => input.write(line + "\n");
  const see = async (pattern: RegExp) => {
    const deadline = Date.now() + 2000;
    while (!pattern.test(screen)) {
      if (Date.now() > deadline) assert.fail(`never saw ${pattern} in:\n${screen}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { peer, input, repl, type, see, screen: () => screen };
}

Deno.test("repl: commands run against the peer and answer on the output", async () => {
  const h = harness();
  try {
    await h.see(/alice> /);
    h.type("/list");
    await h.see(/Online: bob/);
    h.type("/msg bob hi there");
    h.type("/to bob");
    await h.see(/Now talking to bob/);
    await h.see(/alice → bob> /);
    h.type("plain words");
    h.type("/verify bob");
    await h.see(/12345 12345 12345 12345 12345 12345\n {2}12345/);
    await h.see(/Session setup: PQXDH \(post-quantum, ML-KEM-768\)/);
    h.type("/verify bob yes");
    await h.see(/bob is verified/);
    h.type("/trust bob");
    await h.see(/bob's NEW key has the fingerprint 54321 54321/);
    h.type("/trust bob yes");
    await h.see(/Trusted bob's new key\.\n1 message\(s\) to bob written before the key change/);
    await h.see(/\/resend bob sends them to the new key/);
    h.type("/trust carol");
    await h.see(/carol's key has not changed/);
    h.type("/verify carol");
    await h.see(/Error: carol is not a contact/);
    h.type("/history");
    await h.see(/bob → alice: old/);
    h.type("/oops");
    await h.see(/Unknown command \/oops/);
    assert.deepEqual(h.peer.sent, [
      { to: "bob", text: "hi there" },
      { to: "bob", text: "plain words" },
    ]);
    assert.deepEqual(h.peer.followed, ["bob", "bob"], "whom we write to is followed");
    assert.deepEqual(h.peer.verified, [`bob ${Array(12).fill("12345").join(" ")}`]);
    assert.deepEqual(h.peer.trusted, [`bob ${Array(6).fill("54321").join(" ")}`]);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: /servers, /list <server> paged, /trust-server, and bob@home is bob", async () => {
  const h = harness();
  try {
    await h.see(/alice> /);
    h.type("/servers");
    await h.see(/home federates with:\n {2}work {2}down \(connection refused\), 2 mail waiting/);
    h.type("/list WORK");
    await h.see(/Online at work: bob@work, carol@work/);
    assert.deepEqual(h.peer.listed, ["work ", "work bob"]);
    h.type("/list nowhere");
    await h.see(/nowhere is not a server home federates with/);
    h.type("/list home");
    await h.see(/Online: bob\n/);
    h.type("/trust-server work");
    await h.see(/work's new key: 11111 22222/);
    h.type("/trust-server work 11111 22222");
    await h.see(/Trusted work's new key/);
    h.type("/msg bob@HOME hi");
    h.type("/msg bob@work hello");
    for (let i = 0; i < 400 && h.peer.sent.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(h.peer.sent.map((m) => m.to), ["bob", "bob@work"]);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: events are shown; sending to someone offline says it is queued", async () => {
  const h = harness();
  try {
    h.peer.emit({
      type: "message",
      id: "1",
      from: "bob",
      to: "alice",
      text: "ping\x1b[2J",
      sentAt: Date.now(),
      keyChanged: false,
      trusted: true,
      via: "direct",
    });
    await h.see(/\] bob: ping\ufffd\[2J\n/);
    h.peer.emit({ type: "key-changed", username: "bob", blocked: false });
    await h.see(/!!! WARNING: bob's identity key CHANGED/);
    h.peer.onlineUsers = [];
    h.type("/msg carol hi");
    h.peer.emit({ type: "queued", id: "id1", to: "carol" });
    await h.see(/carol is offline: queued in carol's mailbox at the rendezvous/);
    h.type("/list");
    await h.see(/Nobody else is online\./);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: a message from a key not trusted yet is shown behind its banner, not as bob's", async () => {
  const h = harness();
  try {
    h.peer.emit({
      type: "message",
      id: "2",
      from: "bob",
      to: "alice",
      text: "it's me, new laptop",
      sentAt: Date.now(),
      keyChanged: true,
      trusted: false,
      via: "mailbox",
    });
    await h.see(
      /!!! WARNING: bob's identity key CHANGED.*\n!!! UNTRUSTED: the next message comes from a NEW key claiming to be bob.*\n\[\d\d:\d\d\] bob\?: it's me, new laptop\n/,
    );
    assert.doesNotMatch(h.screen(), /\] bob: it's me/);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: the end of input (Ctrl-D) and the abort signal close it", async () => {
  const h = harness();
  h.input.end();
  await h.repl.closed;
  assert.equal(h.peer.listeners.size, 0);

  const controller = new AbortController();
  const peer = new FakePeer();
  const input = new PassThrough();
  const repl = startRepl(peer, {
    input,
    output: new PassThrough(),
    color: false,
    signal: controller.signal,
  });
  controller.abort();
  await repl.closed;
  input.end();
});

Deno.test("repl: a signal aborted before it starts closes it at once", async () => {
  const input = new PassThrough();
  const repl = startRepl(new FakePeer(), {
    input,
    output: new PassThrough(),
    color: false,
    signal: AbortSignal.abort(),
  });
  await repl.closed;
  input.end();
});

Deno.test("repl: /help lists only the commands of the features it has", async () => {
  const h = harness();
  try {
    h.type("/help");
    await h.see(/\/quit +log out and exit/);
    assert.ok(!h.screen().includes("/create"));
    h.type("/create #ops");
    await h.see(/Unknown command \/create/);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: /history shows the current conversation; /w lists and switches; /to warns", async () => {
  const h = harness();
  try {
    h.type("/history");
    await h.see(/bob → alice: old/);
    h.type("/w");
    await h.see(/No conversations yet/);
    h.type("/to carol");
    await h.see(/carol is not online and not among your conversations/);
    h.type("/to bob");
    await h.see(/Now talking to bob: plain text goes to bob\.\n/);
    h.type("/history 5");
    h.type("/w");
    await h.see(/ {2}1 carol\n {2}2 bob\n/);
    h.type("/w 1");
    await h.see(/alice → carol> /);
    h.type("/w 9");
    await h.see(/There is no conversation 9/);
    h.type("/mute");
    await h.see(/Muted carol/);
    h.type("/mute");
    await h.see(/Unmuted carol/);
    h.type("/me waves");
    h.type("/clear");
    await h.see(/alice → carol> alice → carol> /);
    // The first /history: everyone's (the start-up read of names is the first call).
    assert.deepEqual(h.peer.historyAsked.slice(1), [undefined, "bob"]);
    // A send first follows its recipient (a round trip to the rendezvous): wait for it.
    for (let i = 0; i < 200 && h.peer.sent.at(-1)?.text !== "/me waves"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(h.peer.sent.at(-1), { to: "carol", text: "/me waves" });
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

/** What a terminal harness may add to the REPL's options. */
type ExtraOptions = Pick<ReplOptions, "away" | "files" | "verbose">;

/** The REPL on a fake terminal. */
function terminalHarness(extra: ExtraOptions = {}) {
  const peer = new FakePeer();
  const term = new FakeTerminal();
  const repl = startRepl(peer, {
    ...extra,
    terminal: term,
    color: false,
    rendezvous: "/ip4/127.0.0.1/tcp/4001",
    notify: "osc9",
    now: () => new Date(2025, 5, 3, 12, 0).getTime(),
  });
  const see = async (pattern: RegExp) => {
    const deadline = Date.now() + 2000;
    while (!pattern.test(term.text())) {
      if (Date.now() > deadline) assert.fail(`never saw ${pattern} in:\n${term.text()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  /** Quits with Ctrl-C and waits until the REPL closed. */
  const quit = async () => {
    term.type("\x03");
    await repl.closed;
    term.end();
  };
  return { peer, term, repl, see, quit };
}

const message = (from: string, text: string, sentAt = new Date(2025, 5, 3, 12, 1).getTime()) =>
  ({
    type: "message",
    id: crypto.randomUUID(),
    from,
    to: "alice",
    text,
    sentAt,
    keyChanged: false,
    trusted: true,
    via: "direct",
  }) as const;

Deno.test("repl on a terminal: status line with unread counts, notification, Alt-1", async () => {
  const h = terminalHarness();
  try {
    await h.see(/alice> .*\r\n alice@127\.0\.0\.1:4001 │ connected │ → nobody/s);
    h.peer.emit(message("bob", "hi alice"));
    await h.see(/\[12:01\] bob: hi alice/);
    await h.see(/\[1:bob 1!\]/);
    assert.ok(h.term.output.includes("\x07\x1b]9;tincan: bob: hi alice\x07"));
    h.term.type("\x1b1");
    await h.see(/→ 1:bob {2,}/);
    await h.see(/alice → bob> /);
    h.peer.emit({ type: "notice", text: "lost the rendezvous", rendezvous: "lost" });
    await h.see(/rendezvous lost, reconnecting…/);
    // A message from another day brings a date line.
    h.peer.emit(message("bob", "yesterday's", new Date(2025, 5, 2, 23, 0).getTime()));
    await h.see(/--- Monday, 2025-06-02 ---\r\n\[23:00\] bob: yesterday's/);
  } finally {
    await h.quit();
  }
});

Deno.test("repl on a terminal: your line with its time, then its receipt", async () => {
  const h = terminalHarness();
  try {
    h.term.type("/to bob\r");
    await h.see(/Now talking to bob/);
    h.term.type("hello bob\r");
    await h.see(/\[12:00\] alice → bob: hello bob/);
    h.peer.emit({ type: "delivered", id: "id1", to: "bob" });
    // Right under its message: bare, without quoting it.
    await h.see(/alice → bob: hello bob\r\n[^✓]*\r {2}✓ delivered to bob\r\n/);
    h.term.type("/to b\t");
    await h.see(/alice → bob> \/to bob /);
  } finally {
    await h.quit();
  }
});

Deno.test("repl on a terminal: a 100 KB paste is refused with the limit; Ctrl-C still quits", async () => {
  const h = terminalHarness();
  h.term.type(`\x1b[200~${"x".repeat(100 * 1024)}\x1b[201~`);
  await h.see(new RegExp(`Paste refused: .*at most ${MAX_TEXT_BYTES} bytes`));
  h.term.type(`\x1b[200~${"y".repeat(100 * 1024)}`);
  h.term.type("\x03");
  await h.repl.closed;
  assert.equal(h.term.raw, false);
  assert.deepEqual(h.peer.sent, []);
  h.term.end();
});

Deno.test("repl on a terminal: what came while away is shown first and counted unread", async () => {
  const h = terminalHarness({
    away: {
      summary: { total: 3, unread: new Map([["bob", 2], ["#dev", 1]]) },
      lines: ["— 3 messages while you were away (bob 2, #dev 1) —", "[11:00] bob: hi", "— now —"],
    },
  });
  try {
    await h.see(/— 3 messages while you were away \(bob 2, #dev 1\) —\r\n\[11:00\] bob: hi/);
    await h.see(/→ nobody \(\/to <user>\) │ \[1:bob 2\] \[2:#dev/); // 80 columns
    // Alt-1 reads bob's; #dev stays unread.
    h.term.type("\x1b1");
    await h.see(/→ 1:bob │ \[2:#dev 1\]/);
    h.term.type("/w\r");
    await h.see(/2:#dev/);
  } finally {
    await h.quit();
  }
});

/** File transfers where one file is being sent: only list() answers. */
function movingFiles(): ReplFiles & Pick<FileTransfers, "on"> {
  const moving: TransferListing = {
    id: "aa",
    peer: "bob",
    outgoing: true,
    name: "big.iso",
    size: 10,
    sha256: "00",
    path: "/big.iso",
    status: "accepted",
    reason: "",
  };
  const refuse = () => Promise.reject(new Error("not in this test"));
  return {
    list: () => [moving],
    pending: () => [],
    on: () => () => {},
    offer: refuse,
    accept: refuse,
    reject: () => {
      throw new Error("not in this test");
    },
    cancel: refuse,
  };
}

Deno.test("repl on a terminal: Ctrl-C mid-transfer warns first; a second one quits", async () => {
  const h = terminalHarness({ files: movingFiles() });
  await h.see(/alice> /);
  h.term.type("\x03");
  await h.see(/A transfer is running \(big\.iso to bob\): press Ctrl-C again to quit anyway/);
  await h.quit();
  assert.equal(h.term.raw, false);
});

Deno.test("repl on a terminal: a library error is explained; --verbose adds the detail", async () => {
  for (const verbose of [false, true]) {
    const h = terminalHarness({ verbose });
    h.peer.safetyNumber = () => Promise.reject(new Error("bad frame: The stream has been reset"));
    try {
      h.term.type("/verify bob\r");
      await h.see(/Error: the connection was cut off halfway/);
      assert.equal(/detail: bad frame/.test(h.term.text()), verbose);
    } finally {
      await h.quit();
    }
  }
});

Deno.test("repl: /away sets and clears the away text; watchers' away lines; /list shows it", async () => {
  const h = harness();
  try {
    h.type("/away gone fishing");
    await h.see(/You are away: gone fishing/);
    assert.equal(h.peer.awayTexts.get("alice"), "gone fishing");
    h.type("/away");
    await h.see(/You are back \(no away text\)\./);
    assert.equal(h.peer.awayTexts.get("alice"), "");
    h.type(`/away ${"x".repeat(201)}`);
    await h.see(/Away text too long/);
    h.peer.emit({
      type: "presence",
      username: "bob",
      online: true,
      away: "lunch",
      awayChanged: true,
    });
    await h.see(/\* bob is away: lunch/);
    h.peer.emit({ type: "presence", username: "bob", online: true, away: "", awayChanged: true });
    await h.see(/\* bob is back/);
    h.peer.emit({ type: "presence", username: "dave", online: true, away: "on a train" });
    await h.see(/\* dave is online \(away: on a train\)/);
    h.peer.awayTexts.set("bob", "in a meeting");
    h.type("/list");
    await h.see(/Online: bob \(away: in a meeting\)/);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: /list pages through everyone online; /list more gives the next page", async () => {
  const h = harness();
  try {
    h.peer.onlineUsers = Array.from({ length: 60 }, (_, i) => `user${String(i).padStart(2, "0")}`);
    h.type("/list");
    await h.see(/Online: user00, .*user48\n… more online: \/list more/);
    h.type("/list more");
    await h.see(/Online: user49, .*user59\n/);
    h.type("/list more");
    await h.see(/No more: \/list starts again\./);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});

Deno.test("repl: /contacts lists the contacts with presence, away, trust and unread", async () => {
  const h = harness();
  try {
    h.peer.awayTexts.set("bob", "gone fishing");
    h.peer.emit({
      type: "message",
      id: "9",
      from: "bob",
      to: "alice",
      text: "are you there?",
      sentAt: Date.now(),
      keyChanged: false,
      trusted: true,
      via: "direct",
    });
    h.type("/contacts");
    await h.see(/Contacts \(2\):\n {2}bob {4}online, away: gone fishing · verified · 1 unread\n/);
    await h.see(/ {2}carol {2}offline · key changed: \/trust\n/);
  } finally {
    h.type("/quit");
    await h.repl.closed;
  }
});
