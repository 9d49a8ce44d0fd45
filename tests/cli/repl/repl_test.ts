/** The REPL on a pipe, over in-memory streams and a fake peer: no terminal, no network. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { startRepl } from "../../../src/cli/repl/repl.ts";
import { FakePeer, waitToSee } from "./fake_peer.ts";

function harness() {
  const peer = new FakePeer();
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = "";
  output.on("data", (chunk: Uint8Array | string) => screen += String(chunk));
  const repl = startRepl(peer, { input, output, color: false });
  const type = (line: string) => input.write(line + "\n");
  const see = (pattern: RegExp) => waitToSee(() => screen, pattern);
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
