import assert from "node:assert/strict";
import { sealAtRest } from "../../../src/crypto/at_rest.ts";
import { fromHex, toHex } from "../../../src/crypto/bytes.ts";
import { RemoteError } from "../../../src/errors.ts";
import { markOutboxFailed } from "../../../src/peer/messaging/outbox_failure.ts";
import { bodyContext } from "../../../src/peer/store/body_context.ts";
import { HistoryStore } from "../../../src/peer/store/history.ts";
import { newMessageId } from "../../../src/crypto/envelope.ts";
import { Content } from "../../../src/proto/chat.ts";
import { NOW, unreachable, world } from "./outgoing_world.ts";

Deno.test("outgoing: a message goes over the chat link once and waits for its acknowledgement", async () => {
  const w = world();
  try {
    const id = await w.outgoing.write("bob", "hello");
    assert.deepEqual(await w.outgoing.flush("bob"), { retry: false });
    assert.deepEqual(await w.outgoing.flush("bob"), { retry: false }); // same link: not resent
    assert.equal(w.sent.length, 1);
    assert.deepEqual(w.sent[0]!.subarray(0, 16), fromHex(id));
    assert.equal(w.outbox.get(fromHex(id))?.status, "sent");
    assert.equal(w.mailed.length, 0);
    assert.deepEqual(w.events, []);
  } finally {
    w.close();
  }
});

Deno.test("outgoing: an unreachable recipient's message goes to its mailbox (queued)", async () => {
  const w = world({ send: unreachable });
  try {
    const id = await w.outgoing.write("bob", "hello");
    assert.deepEqual(await w.outgoing.flush("bob"), { retry: false });
    assert.equal(w.mailed.length, 1);
    assert.equal(w.outbox.get(fromHex(id))?.status, "queued");
    assert.deepEqual(w.events, [{ type: "queued", id, to: "bob" }]);
  } finally {
    w.close();
  }
});

Deno.test("outgoing: a recipient with no address is mailed at once", async () => {
  const w = world({ addresses: false, send: () => Promise.reject(new Error("must not dial")) });
  try {
    const id = await w.outgoing.write("bob", "hello");
    await w.outgoing.flush("bob");
    assert.equal(w.outbox.get(fromHex(id))?.status, "queued");
  } finally {
    w.close();
  }
});

Deno.test("outgoing: a failed attempt is a retry decision, not a thrown error", async () => {
  const w = world({ send: unreachable, withoutMail: true });
  try {
    const id = await w.outgoing.write("bob", "hello");
    const outcome = await w.outgoing.flush("bob");
    assert.equal(outcome.retry, true);
    assert.match(outcome.retry ? outcome.why : "", /cannot reach bob: connection refused/);
    assert.equal(w.outbox.get(fromHex(id))?.status, "sent");
    assert.deepEqual(w.events, []);
  } finally {
    w.close();
  }
});

Deno.test("outgoing: an online recipient that has not announced addresses yet is retried before mailing", async () => {
  const w = world({ addresses: false, online: true });
  try {
    await w.outgoing.write("bob", "hello");
    const outcome = await w.outgoing.flush("bob");
    assert.equal(outcome.retry, true);
    assert.match(outcome.retry ? outcome.why : "", /has not announced its addresses/);
    assert.equal(w.mailed.length, 0);
  } finally {
    w.close();
  }
});

Deno.test("outgoing: a lookup failure is retried; an unknown user fails for good", async () => {
  const w = world({ resolve: () => Promise.reject(new Error("rendezvous unreachable")) });
  try {
    await w.outgoing.write("bob", "hello");
    assert.equal((await w.outgoing.flush("bob")).retry, true);
  } finally {
    w.close();
  }
  const gone = world({
    resolve: () => Promise.reject(new RemoteError("no such user", "E_NOT_FOUND")),
  });
  try {
    const id = await gone.outgoing.write("bob", "hello");
    assert.deepEqual(await gone.outgoing.flush("bob"), { retry: false });
    assert.equal(gone.outbox.get(fromHex(id))?.status, "failed");
    assert.deepEqual(gone.events, [{
      type: "failed",
      id,
      to: "bob",
      reason: "there is no user bob at this rendezvous",
    }]);
  } finally {
    gone.close();
  }
});

Deno.test("outgoing: a final mailbox refusal fails the message; a passing one is retried", async () => {
  const tooLarge = world({
    send: unreachable,
    deposit: () => Promise.reject(new RemoteError("it is too large", "E_TOO_LARGE")),
  });
  try {
    const id = await tooLarge.outgoing.write("bob", "hello");
    assert.deepEqual(await tooLarge.outgoing.flush("bob"), { retry: false });
    const entry = tooLarge.outbox.get(fromHex(id));
    assert.equal(entry?.status, "failed");
    const failed = tooLarge.events.find((e) => e.type === "failed");
    assert.match(failed?.type === "failed" ? failed.reason : "", /mailbox refused it/);
  } finally {
    tooLarge.close();
  }
  const busy = world({
    send: unreachable,
    deposit: () => Promise.reject(new RemoteError("slow down", "E_THROTTLED")),
  });
  try {
    await busy.outgoing.write("bob", "hello");
    assert.equal((await busy.outgoing.flush("bob")).retry, true);
    assert.deepEqual(busy.events, []);
  } finally {
    busy.close();
  }
});

Deno.test("outgoing: a full mailbox keeps the message waiting until the pause the rendezvous names", async () => {
  for (const status of ["E_MAILBOX_FULL", "E_SENDER_QUOTA"]) {
    const full = world({
      send: unreachable,
      deposit: () => Promise.reject(new RemoteError("bob's mailbox is full", status, 120_000)),
    });
    try {
      const id = await full.outgoing.write("bob", "hello");
      assert.deepEqual(await full.outgoing.flush("bob"), {
        retry: true,
        why: "bob's mailbox is full",
        notBeforeMs: 120_000,
      });
      assert.equal(full.outbox.get(fromHex(id))?.status, "sent", "encrypted, waiting, not failed");
      assert.equal(full.events.some((e) => e.type === "failed"), false);
      const notice = full.events.find((e) => e.type === "notice");
      assert.match(notice?.type === "notice" ? notice.text : "", /tried again in 2 min/);
    } finally {
      full.close();
    }
  }
});

Deno.test("outgoing: a quiet message's events are not passed on; delivered settles a message", async () => {
  const w = world({ send: unreachable });
  try {
    const quiet = await w.outgoing.write("bob", "", "receipt", Uint8Array.of(1), true);
    await w.outgoing.flush("bob");
    assert.equal(w.outbox.get(fromHex(quiet))?.status, "queued");
    w.outgoing.delivered(quiet, "bob");
    assert.deepEqual(w.events, []);
    const loud = await w.outgoing.write("bob", "hi");
    w.outgoing.delivered(loud, "bob");
    // Never sent on a link (bob is unreachable): delivered by a receipt after the mailbox.
    assert.deepEqual(w.events.at(-1), { type: "delivered", id: loud, to: "bob", via: "mailbox" });
  } finally {
    w.close();
  }
});

Deno.test("outgoing: markFailed keeps a delivered message and fails an unacknowledged one", async () => {
  const w = world();
  try {
    const id = await w.outgoing.write("bob", "hello");
    await w.outgoing.flush("bob");
    assert.equal(markOutboxFailed(w.outbox, id, "gave up", NOW), "failed");
    assert.equal(w.outbox.get(fromHex(id))?.error, "gave up");
    w.outbox.setStatus(fromHex(id), "delivered", NOW);
    assert.equal(markOutboxFailed(w.outbox, id, "gave up", NOW), "delivered");
    assert.throws(
      () => markOutboxFailed(w.outbox, toHex(new Uint8Array(16)), "x", NOW),
      RangeError,
    );
  } finally {
    w.close();
  }
});

Deno.test("outgoing: an entry that cannot be opened fails with the reason; the ones after it flow", async () => {
  const w = world();
  try {
    const wrongKey = new Uint8Array(32).fill(9); // the profile's key is 7s: another storage.key
    const sealedElsewhere = fromHex("00112233445566778899aabbccddeeff");
    w.outbox.add({
      messageId: sealedElsewhere,
      recipient: "bob",
      body: await sealAtRest(
        wrongKey,
        new Uint8Array([1, 2]),
        bodyContext("outbox", sealedElsewhere),
      ),
      status: "pending",
      createdAt: NOW - 2,
    });
    const damaged = fromHex("ffeeddccbbaa99887766554433221100");
    w.outbox.add({
      messageId: damaged,
      recipient: "bob",
      body: new Uint8Array(5),
      status: "pending",
      createdAt: NOW - 1,
    });
    const id = await w.outgoing.write("bob", "after the bad ones");
    assert.deepEqual(await w.outgoing.flush("bob"), { retry: false });
    assert.deepEqual(w.sent.map((e) => toHex(e.subarray(0, 16))), [id]);
    for (const bad of [sealedElsewhere, damaged]) {
      const entry = w.outbox.get(bad)!;
      assert.equal(entry.status, "failed");
      assert.match(entry.error!, /its stored copy cannot be opened/);
      assert.match(entry.error!, /storage\.key is not the key it was sealed with/);
    }
    const failed = w.events.filter((e) => e.type === "failed");
    assert.deepEqual(
      failed.map((e) => e.id).sort(),
      [toHex(sealedElsewhere), toHex(damaged)].sort(),
    );
  } finally {
    w.close();
  }
});

Deno.test("outgoing: a session reset resends everything unacknowledged once; a second refusal fails", async () => {
  const w = world();
  try {
    const one = await w.outgoing.write("bob", "one");
    await w.outgoing.flush("bob");
    const two = await w.outgoing.write("bob", "two");
    await w.outgoing.flush("bob");
    assert.equal(w.sent.length, 2);

    await w.outgoing.sessionReset(one, "bob", "no session with this sender");
    // the answer to two's old envelope, arriving before it was encrypted again: nothing to do
    await w.outgoing.sessionReset(two, "bob", "no session with this sender");
    await w.outgoing.flush("bob");
    assert.deepEqual(w.sent.slice(2).map((e) => toHex(e.subarray(0, 16))), [one, two]);
    assert.equal(w.sent.length, 4);
    const notices = w.events.filter((e) => e.type === "notice");
    assert.equal(notices.length, 1);
    assert.match(
      notices[0]!.type === "notice" ? notices[0]!.text : "",
      /bob's device has no session with you any more.*sending 2 unacknowledged messages again/,
    );

    // Refused on the new session, within the window: sent once more, then it fails (no reset).
    await w.outgoing.sessionReset(one, "bob", "no session with this sender");
    await w.outgoing.flush("bob");
    assert.equal(w.sent.length, 5);
    await w.outgoing.sessionReset(one, "bob", "no session with this sender");
    assert.equal(w.outbox.get(fromHex(one))?.status, "failed");
    assert.match(w.outbox.get(fromHex(one))!.error!, /bob cannot decrypt it even on a new session/);
    assert.equal(w.events.filter((e) => e.type === "notice").length, 1);
    // A reset for a message to someone else, or unknown, changes nothing.
    await w.outgoing.sessionReset(two, "carol", "x");
    await w.outgoing.sessionReset("00".repeat(16), "bob", "x");
    assert.equal(w.outbox.get(fromHex(two))?.status, "sent");
  } finally {
    w.close();
  }
});

Deno.test("outgoing: a flush hands every envelope to the link without waiting for each write (they share frames)", async () => {
  const writes: (() => void)[] = [];
  const link = { via: "direct" as const };
  const w = world({
    send: (_peer, envelope) =>
      new Promise((resolve) => {
        w.sent.push(envelope);
        writes.push(() => resolve(link));
      }),
  });
  try {
    // Three messages already in the outbox (written before a restart): one flush sends them.
    const ids: string[] = [];
    for (const [i, text] of ["one", "two", "three"].entries()) {
      const messageId = newMessageId();
      const content = Content.encode({
        from: "alice",
        text,
        sentAt: BigInt(NOW),
        kind: "",
        payload: new Uint8Array(0),
      });
      w.outbox.add({
        messageId,
        recipient: "bob",
        body: await sealAtRest(
          new Uint8Array(32).fill(7),
          content,
          bodyContext("history", messageId),
        ),
        status: "pending",
        createdAt: NOW + i,
      });
      ids.push(toHex(messageId));
    }
    const flushed = w.outgoing.flush("bob");
    const deadline = Date.now() + 2000;
    while (w.sent.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    assert.equal(writes.length, 3, "all three handed over before the first write finished");
    for (const written of writes) written();
    assert.deepEqual(await flushed, { retry: false });
    assert.deepEqual(w.sent.map((e) => toHex(e.subarray(0, 16))), ids, "in order");
    for (const id of ids) assert.equal(w.outbox.get(fromHex(id))?.status, "sent");
  } finally {
    w.close();
  }
});

Deno.test("outgoing: a body is sealed once for outbox and history; older outbox bodies still open", async () => {
  const w = world();
  try {
    const id = await w.outgoing.write("bob", "sealed once");
    const history = new HistoryStore(w.db).recent("bob", 1)[0]!;
    assert.deepEqual(w.outbox.get(fromHex(id))!.body, history.body);
    // A message written before: its outbox body sealed with the outbox context.
    const older = fromHex("0123456789abcdef0123456789abcdef");
    w.outbox.add({
      messageId: older,
      recipient: "bob",
      body: await sealAtRest(
        new Uint8Array(32).fill(7),
        Uint8Array.of(1),
        bodyContext("outbox", older),
      ),
      status: "pending",
      createdAt: NOW - 1,
    });
    assert.deepEqual(await w.outgoing.flush("bob"), { retry: false });
    assert.equal(w.outbox.get(older)?.status, "sent");
  } finally {
    w.close();
  }
});
