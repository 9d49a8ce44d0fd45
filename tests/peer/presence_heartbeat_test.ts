/** The presence heartbeat: its jittered pauses, and a missing answer taken for a dead link. */
import assert from "node:assert/strict";
import { heartbeatDelay, mustAsk, startHeartbeat } from "../../src/peer/presence_heartbeat.ts";
import { PRESENCE_HEARTBEAT } from "../../src/protocol/limits.ts";

Deno.test("heartbeat: pauses are 20 s ± 20 %, never past the rendezvous's silence limit", () => {
  assert.equal(heartbeatDelay(() => 0), 16_000);
  assert.equal(heartbeatDelay(() => 0.5), 20_000);
  assert.equal(heartbeatDelay(() => 0.999999), PRESENCE_HEARTBEAT.maxIntervalMs);
  assert.ok(PRESENCE_HEARTBEAT.maxIntervalMs < PRESENCE_HEARTBEAT.silenceMs);
  assert.equal(
    PRESENCE_HEARTBEAT.intervalMs * (1 + PRESENCE_HEARTBEAT.jitter),
    PRESENCE_HEARTBEAT.maxIntervalMs,
  );
  assert.equal(heartbeatDelay(() => 0.5, 100, 0.1), 100);
});

Deno.test("heartbeat: beats while answered; an unanswered beat calls onDead once", async () => {
  let beats = 0;
  let answer = true;
  const dead: string[] = [];
  const stop = startHeartbeat({
    ask: () => {
      beats++;
      return answer ? Promise.resolve() : new Promise<void>(() => {});
    },
    onDead: (reason) => void dead.push(reason.message),
    intervalMs: 10,
    replyTimeoutMs: 30,
  });
  try {
    while (beats < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(dead, []);
    answer = false;
    while (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const after = beats;
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(dead, ["no heartbeat answer within 30 ms"]);
    assert.equal(beats, after, "no more beats once the link is taken for dead");
  } finally {
    stop();
  }
});

Deno.test("heartbeat: a failed beat is a dead link too; stop() ends it quietly", async () => {
  const dead: Error[] = [];
  const stop = startHeartbeat({
    ask: () => Promise.reject(new Error("stream reset")),
    onDead: (reason) => void dead.push(reason),
    intervalMs: 5,
  });
  while (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  stop();
  assert.equal(dead[0]?.message, "stream reset");
  let beaten = false;
  const quiet = startHeartbeat({
    ask: () => (beaten = true, Promise.resolve()),
    onDead: () => {},
  });
  quiet();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(beaten, false);
});

Deno.test("heartbeat: one-way while the rendezvous was heard lately; asks once silent for askAfterMs", () => {
  assert.equal(mustAsk(0, 45_000), false);
  assert.equal(mustAsk(44_999, 45_000), false);
  assert.equal(mustAsk(45_000, 45_000), true);
  assert.equal(mustAsk(undefined, 45_000), true, "no way to tell: every beat asks");
  assert.equal(
    PRESENCE_HEARTBEAT.askAfterMs + PRESENCE_HEARTBEAT.maxIntervalMs +
      PRESENCE_HEARTBEAT.replyTimeoutMs,
    PRESENCE_HEARTBEAT.deadRendezvousMs,
  );
});

Deno.test("heartbeat: sends one-way beats, asks when silent, and a silent rendezvous is dead", async () => {
  const sent: string[] = [];
  let silentFor = 0;
  let answer = true;
  const dead: string[] = [];
  const stop = startHeartbeat({
    ask: () => {
      sent.push("ask");
      return answer ? Promise.resolve() : new Promise<void>(() => {});
    },
    send: () => (sent.push("send"), Promise.resolve()),
    silentForMs: () => silentFor,
    onDead: (reason) => void dead.push(reason.message),
    intervalMs: 10,
    replyTimeoutMs: 30,
    askAfterMs: 1_000,
  });
  try {
    while (sent.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(sent.slice(0, 3), ["send", "send", "send"], "heard lately: one-way");
    silentFor = 1_000;
    while (!sent.includes("ask")) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(dead, [], "an answered ask keeps it going");
    answer = false;
    while (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(dead, ["no heartbeat answer within 30 ms"]);
  } finally {
    stop();
  }
});

Deno.test("heartbeat: a failed one-way beat is a dead link", async () => {
  const dead: string[] = [];
  const stop = startHeartbeat({
    ask: () => Promise.resolve(),
    send: () => Promise.reject(new Error("stream reset")),
    silentForMs: () => 0,
    onDead: (reason) => void dead.push(reason.message),
    intervalMs: 5,
  });
  while (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  stop();
  assert.deepEqual(dead, ["stream reset"]);
});
