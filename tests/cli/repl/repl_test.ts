/** The REPL over in-memory streams and a fake peer: no terminal, no network. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { ChatPeer } from "../../../src/cli/repl/registry.ts";
import { startRepl } from "../../../src/cli/repl/repl.ts";
import type { PeerEvent, PeerListener } from "../../../src/peer/events.ts";
import type { HistoryLine } from "../../../src/peer/peer.ts";

class FakePeer implements ChatPeer {
  readonly username = "alice";
  readonly sent: { to: string; text: string }[] = [];
  readonly verified: string[] = [];
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
  send(to: string, text: string) {
    this.sent.push({ to, text });
    return Promise.resolve(`id${this.sent.length}`);
  }
  safetyNumber(user: string) {
    if (user !== "bob") return Promise.reject(new RangeError(`${user} is not a contact`));
    return Promise.resolve(Array(12).fill("12345").join(" "));
  }
  markVerified(user: string) {
    this.verified.push(user);
  }
  trust(user: string) {
    return user === "bob" ? 2 : undefined;
  }
  history(_user: string | undefined, _limit: number): Promise<HistoryLine[]> {
    return Promise.resolve([
      { id: "1", peer: "bob", outgoing: false, sentAt: 0, text: "old", broadcast: false },
    ]);
  }
}

function harness() {
  const peer = new FakePeer();
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = "";
  output.on("data", (chunk: Uint8Array | string) => screen += String(chunk));
  const repl = startRepl(peer, { input, output, terminal: false, color: false });
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
    h.type("/verify bob yes");
    await h.see(/bob is verified/);
    h.type("/trust bob");
    await h.see(/2 held message\(s\) released/);
    h.type("/trust carol");
    await h.see(/carol's key has not changed/);
    h.type("/verify carol");
    await h.see(/error: carol is not a contact/);
    h.type("/history");
    await h.see(/bob → alice: old/);
    h.type("/oops");
    await h.see(/Unknown command \/oops/);
    assert.deepEqual(h.peer.sent, [
      { to: "bob", text: "hi there" },
      { to: "bob", text: "plain words" },
    ]);
    assert.deepEqual(h.peer.verified, ["bob"]);
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
    terminal: false,
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
    terminal: false,
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
