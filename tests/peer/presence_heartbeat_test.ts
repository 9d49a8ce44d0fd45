/** The presence heartbeat: its jittered pauses, and a missing answer taken for a dead link. */
import assert from "node:assert/strict";
import { heartbeatDelay, startHeartbeat } from "../../src/peer/presence_heartbeat.ts";
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
    beat: () => {
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
    beat: () => Promise.reject(new Error("stream reset")),
    onDead: (reason) => void dead.push(reason),
    intervalMs: 5,
  });
  while (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  stop();
  assert.equal(dead[0]?.message, "stream reset");
  let beaten = false;
  const quiet = startHeartbeat({
    beat: () => (beaten = true, Promise.resolve()),
    onDead: () => {},
  });
  quiet();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(beaten, false);
});
