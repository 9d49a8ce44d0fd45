/**
 * SilenceSweep on a fake clock: a key is found silent once silenceMs passed since it was last
 * heard (never before), each silent key is called once and forgotten, hearing a key keeps it,
 * and the one timer runs only while something is watched.
 */
import assert from "node:assert/strict";
import { SilenceSweep } from "../../src/rendezvous/silence_sweep.ts";

function sweeper() {
  let now = 1_000;
  const silent: string[] = [];
  const sweep = new SilenceSweep<string>({ silenceMs: 100, sweepMs: 60_000, now: () => now });
  const watch = (key: string) => sweep.watch(key, (ms) => silent.push(`${key}:${ms}`));
  return { sweep, watch, silent, advance: (ms: number) => now += ms };
}

Deno.test("silence sweep: a key is silent once silenceMs passed since it was last heard", () => {
  const s = sweeper();
  s.watch("a");
  s.advance(60);
  s.watch("b");
  s.advance(39);
  s.sweep.sweep();
  assert.deepEqual(s.silent, [], "a: 99 ms, not yet");
  s.advance(1);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["a:100"]);
  s.advance(60);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["a:100", "b:100"]);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["a:100", "b:100"], "each is called once, then forgotten");
  assert.equal(s.sweep.size, 0);
});

Deno.test("silence sweep: hearing a key keeps it; the keys heard since are not swept before it", () => {
  const s = sweeper();
  s.watch("a");
  s.watch("b");
  s.watch("c");
  s.advance(90);
  s.sweep.heard("a"); // a moves behind b and c
  s.advance(20);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["b:110", "c:110"]);
  s.advance(69);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["b:110", "c:110"], "a was heard 89 ms ago");
  s.advance(11);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["b:110", "c:110", "a:100"]);
});

Deno.test("silence sweep: a forgotten key is never called; hearing an unwatched key is a no-op", () => {
  const s = sweeper();
  s.watch("a");
  s.watch("b");
  s.sweep.forget("a");
  s.sweep.heard("nobody");
  s.advance(500);
  s.sweep.sweep();
  assert.deepEqual(s.silent, ["b:500"]);
  assert.equal(s.sweep.size, 0);
});

Deno.test("silence sweep: its timer finds a silent key by itself and stops when none is left", async () => {
  const silent: number[] = [];
  const sweep = new SilenceSweep<object>({ silenceMs: 30, sweepMs: 10 });
  const key = {};
  const found = new Promise<void>((resolve) =>
    sweep.watch(key, (ms) => {
      silent.push(ms);
      resolve();
    })
  );
  // The sweep's timer does not keep the process alive (a server's listener does): this one does.
  const keepAlive = setTimeout(() => {}, 10_000);
  await found; // the test's op sanitizer fails it if the interval outlives it
  clearTimeout(keepAlive);
  assert.equal(silent.length, 1);
  assert.ok(silent[0]! >= 30);
  assert.equal(sweep.size, 0);
});
