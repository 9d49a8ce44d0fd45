/**
 * "The rendezvous never sees a message in plaintext": every byte the rendezvous receives during a
 * conversation is captured twice — on the wire, by a TCP proxy in front of it, and after Noise,
 * as its protocol handlers read it — and searched for the message in several encodings. Each
 * capture is also shown to contain what the rendezvous legitimately sees, so that the search is
 * not vacuous. Mail for an offline user is searched for too, as read and as stored on disk.
 */
import { toHex } from "../../src/crypto/bytes.ts";
import { multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { peerIdOf } from "../../src/net/address.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

const encoder = new TextEncoder();

/** A message no protocol would produce by chance. */
const SECRET = "zebra-quartz-7319: meet at the old mill at midnight, bring the ledger";

/** The forms the secret could take in a careless implementation. */
function secretForms(text: string): Map<string, Uint8Array> {
  const utf8 = encoder.encode(text);
  const utf16 = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    utf16[2 * i] = text.charCodeAt(i) & 0xff;
    utf16[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  const hex = toHex(utf8);
  return new Map([
    ["UTF-8", utf8],
    ["UTF-16LE", utf16],
    ["hex", encoder.encode(hex)],
    ["base64", encoder.encode(btoa(String.fromCharCode(...utf8)))],
    // A distinctive fragment too, in case a message were split or framed differently.
    ["a fragment", encoder.encode("meet at the old mill")],
  ]);
}

/** Whether `needle` occurs in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/** Every chunk appended, readable as one byte string. */
class Capture {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  add(bytes: Uint8Array): void {
    this.#chunks.push(bytes.slice());
    this.#length += bytes.length;
  }

  get length(): number {
    return this.#length;
  }

  bytes(): Uint8Array {
    const all = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return all;
  }
}

/** A TCP proxy on loopback in front of `target`, recording every byte in both directions. */
class RecordingProxy {
  readonly toServer = new Capture();
  readonly toClient = new Capture();
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #pumps: Promise<void>[] = [];
  readonly #accepting: Promise<void>;

  constructor(private readonly target: { hostname: string; port: number }) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        this.#conns.add(client);
        let server: Deno.TcpConn;
        try {
          server = await Deno.connect(this.target);
        } catch {
          client.close();
          continue;
        }
        this.#conns.add(server);
        this.#pumps.push(this.#pump(client, server, this.toServer));
        this.#pumps.push(this.#pump(server, client, this.toClient));
      }
    } catch {
      // the listener closed
    }
  }

  async #pump(from: Deno.TcpConn, to: Deno.TcpConn, capture: Capture): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        capture.add(buffer.subarray(0, n));
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
    } catch {
      // either side went away
    }
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      this.#conns.delete(conn);
    }
  }

  async stop(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await this.#accepting;
    await Promise.all(this.#pumps);
  }
}

/** A conversation between alice and bob, with the secret in it; returns when bob has it. */
async function converse(alice: TestPeer, bob: TestPeer): Promise<void> {
  const hello = await alice.peer.send("bob", "hello bob");
  await bob.next("message", (m) => m.id === hello);
  const id = await alice.peer.send("bob", SECRET);
  const got = await bob.next("message", (m) => m.id === id);
  assert.equal(got.text, SECRET, "the secret really reached bob");
  await alice.next("delivered", (d) => d.id === id);
  const reply = await bob.peer.send("alice", `re: ${SECRET}`);
  assert.equal((await alice.next("message", (m) => m.id === reply)).text, `re: ${SECRET}`);
  await bob.next("delivered", (d) => d.id === reply);
  assert.equal(await alice.peer.safetyNumber("bob"), await bob.peer.safetyNumber("alice"));
}

function assertNoSecret(where: string, captured: Uint8Array): void {
  for (const [form, needle] of secretForms(SECRET)) {
    assert.equal(contains(captured, needle), false, `the message (${form}) is in ${where}`);
  }
}

Deno.test("the rendezvous never receives a message's plaintext, on the wire", async () => {
  const { rendezvous, address } = await withRendezvous();
  const port = Number(address.getComponents().find((c) => c.name === "tcp")?.value);
  const proxy = new RecordingProxy({ hostname: "127.0.0.1", port });
  const serverId = peerIdOf(address);
  assert.ok(serverId);
  const viaProxy = multiaddr(`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${serverId}`);
  let alice: TestPeer | undefined;
  let bob: TestPeer | undefined;
  try {
    alice = await startPeer(viaProxy, "alice");
    bob = await startPeer(viaProxy, "bob");
    await converse(alice, bob);
  } finally {
    await stopAll(alice, bob);
    await stopAll(proxy, rendezvous);
  }
  const sent = proxy.toServer.bytes();
  const received = proxy.toClient.bytes();
  // Not vacuous: both peers' whole sessions went through the proxy (the connection negotiation is
  // in clear text, everything after it under Noise).
  assert.ok(contains(sent, encoder.encode("/multistream/1.0.0")), "the capture holds the dial");
  assert.ok(contains(sent, encoder.encode("/noise")), "the capture holds the Noise negotiation");
  assert.ok(sent.length > 4096, `only ${sent.length} bytes were captured`);
  assertNoSecret("the bytes sent to the rendezvous", sent);
  assertNoSecret("the bytes the rendezvous sent", received);
});

Deno.test("the rendezvous never reads a message's plaintext, after Noise", async () => {
  const read = new Map<string, Capture>();
  const { rendezvous, address } = await withRendezvous({
    onInboundBytes: (protocol, bytes) => {
      const capture = read.get(protocol) ?? new Capture();
      read.set(protocol, capture);
      capture.add(bytes);
    },
  });
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    await converse(alice, bob);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
  const all = new Capture();
  for (const capture of read.values()) all.add(capture.bytes());
  // Not vacuous: the handlers read the usernames, which the rendezvous legitimately sees, on the
  // account and directory protocols at least.
  assert.ok(contains(all.bytes(), encoder.encode("alice")), "the handlers read 'alice'");
  assert.ok(contains(all.bytes(), encoder.encode("bob")), "the handlers read 'bob'");
  for (const protocol of ["/tincan/account/1.0.0", "/tincan/directory/1.0.0"]) {
    assert.ok((read.get(protocol)?.length ?? 0) > 0, `nothing read on ${protocol}`);
  }
  assertNoSecret("what the rendezvous read", all.bytes());
  for (const [protocol, capture] of read) assertNoSecret(protocol, capture.bytes());
});

Deno.test("the rendezvous never reads or stores the plaintext of mail for an offline user", async () => {
  const read = new Map<string, Capture>();
  const { rendezvous, address, dataDir } = await withRendezvous({
    onInboundBytes: (protocol, bytes) => {
      const capture = read.get(protocol) ?? new Capture();
      read.set(protocol, capture);
      capture.add(bytes);
    },
  });
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  const peers: TestPeer[] = [];
  let onDisk: Uint8Array = new Uint8Array(0);
  try {
    const firstBob = await startPeer(address, "bob", { profileDir: bobDir });
    await firstBob.stop();
    const alice = await startPeer(address, "alice");
    peers.push(alice);
    const id = await alice.peer.send("bob", SECRET);
    await alice.next("queued", (q) => q.id === id);
    // The sealed mail at rest, in the database and its write-ahead log.
    const files = await Promise.all(
      ["rendezvous.db", "rendezvous.db-wal"].map((f) =>
        Deno.readFile(`${dataDir}/${f}`).catch(() => new Uint8Array(0))
      ),
    );
    const disk = new Capture();
    for (const file of files) disk.add(file);
    onDisk = disk.bytes();
    const bob = await startPeer(address, "bob", { profileDir: bobDir });
    peers.push(bob);
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.text, SECRET, "the secret really reached bob");
    assert.equal(got.via, "mailbox");
    await alice.next("delivered", (d) => d.id === id);
  } finally {
    await stopAll(...peers, rendezvous);
  }
  const mailbox = read.get("/tincan/mailbox/1.0.0")?.bytes() ?? new Uint8Array(0);
  // Not vacuous: the deposit went through the mailbox protocol, naming its recipient, and the
  // database holds the mail (its recipient's name next to it).
  assert.ok(mailbox.length > SECRET.length, `only ${mailbox.length} bytes read on the mailbox`);
  assert.ok(contains(mailbox, encoder.encode("bob")), "the deposit names bob");
  assert.ok(onDisk.length > 0 && contains(onDisk, encoder.encode("bob")));
  assertNoSecret("what the mailbox read", mailbox);
  for (const [protocol, capture] of read) assertNoSecret(protocol, capture.bytes());
  assertNoSecret("the rendezvous database", onDisk);
});
