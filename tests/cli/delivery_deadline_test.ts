import assert from "node:assert/strict";
import {
  DeliveryDeadline,
  type FailedEvent,
  withDeadline,
} from "../../src/cli/delivery_deadline.ts";
import type { PeerEvent, PeerListener } from "../../src/peer/events.ts";

/** A peer double: events are emitted by hand; markFailed answers `status`. */
class FakePeer {
  readonly listeners = new Set<PeerListener>();
  readonly failed: string[] = [];
  status: "delivered" | "queued" | "failed" = "failed";
  #sent = 0;
  on(listener: PeerListener) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(event: PeerEvent) {
    this.listeners.forEach((l) => l(event));
  }
  markFailed(id: string, _reason: string) {
    this.failed.push(id);
    return this.status;
  }
  send(_to: string, _text: string): Promise<string> {
    return Promise.resolve(`m${++this.#sent}`);
  }
  online() {
    return ["bob"];
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("deadline: a message nobody answers is marked failed, and said so", async () => {
  const peer = new FakePeer();
  const reported: FailedEvent[] = [];
  const deadline = new DeliveryDeadline(peer, (e) => reported.push(e), 30);
  const watched = withDeadline(peer, deadline);
  const lost = await watched.send("bob", "into the void");
  const acked = await watched.send("bob", "hello");
  const mailed = await watched.send("carol", "later");
  const held = await watched.send("dave", "new key");
  peer.emit({ type: "delivered", id: acked, to: "bob" });
  peer.emit({ type: "queued", id: mailed, to: "carol" });
  peer.emit({ type: "key-changed", username: "dave", blocked: false });
  await wait(80);
  assert.deepEqual(peer.failed, [lost], `only the unanswered one (${held} is held, not failed)`);
  assert.equal(reported.length, 1);
  assert.equal(reported[0]!.id, lost);
  assert.equal(reported[0]!.to, "bob");
  assert.match(reported[0]!.reason, /^no answer within 0 s: bob cannot be reached directly/);
  deadline.stop();
  assert.equal(peer.listeners.size, 0);
});

Deno.test("deadline: one that settled meanwhile is not reported; stop cancels the rest", async () => {
  const peer = new FakePeer();
  peer.status = "queued"; // the mailbox took it just before the deadline
  const reported: FailedEvent[] = [];
  const deadline = new DeliveryDeadline(peer, (e) => reported.push(e), 20);
  await withDeadline(peer, deadline).send("bob", "x");
  await wait(60);
  assert.deepEqual(reported, []);
  const afterStop: FailedEvent[] = [];
  const other = new DeliveryDeadline(peer, (e) => afterStop.push(e), 20);
  await withDeadline(peer, other).send("bob", "y");
  other.stop();
  await wait(60);
  assert.deepEqual(afterStop, []);
  deadline.stop();
});

Deno.test("deadline: the watched peer's other members still work, bound to it", () => {
  class WithPrivate extends FakePeer {
    readonly #name = "alice";
    get username() {
      return this.#name;
    }
    who() {
      return this.#name;
    }
  }
  const peer = new WithPrivate();
  const deadline = new DeliveryDeadline(peer, () => {});
  const watched = withDeadline(peer, deadline);
  assert.equal(watched.username, "alice");
  assert.equal(watched.who(), "alice");
  assert.deepEqual(watched.online(), ["bob"]);
  deadline.stop();
});
