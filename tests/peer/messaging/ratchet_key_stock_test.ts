import assert from "node:assert/strict";
import type { X25519KeyPair } from "../../../src/crypto/primitives.ts";
import { RatchetKeyStock } from "../../../src/peer/messaging/ratchet_key_stock.ts";

/** Key pairs numbered in the order they are made (the number in every byte of both keys). */
function numbered() {
  let made = 0;
  const generate = () => {
    made++;
    return Promise.resolve<X25519KeyPair>({
      privateKey: new Uint8Array(32).fill(made),
      publicKey: new Uint8Array(32).fill(made),
    });
  };
  return { generate, made: () => made };
}

/** A `later` that keeps the tasks until the test runs them. */
function manual() {
  const tasks: (() => void)[] = [];
  const later = (task: () => void) => void tasks.push(task);
  const runAll = async () => {
    for (const task of tasks.splice(0)) task();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the refill's awaits
  };
  return { later, runAll, pending: () => tasks.length };
}

Deno.test("ratchet key stock: with none made ahead a pair is made at once, and the stock is refilled later", async () => {
  const keys = numbered();
  const turn = manual();
  const stock = new RatchetKeyStock(keys.generate, turn.later, 2);
  assert.equal((await stock.take()).privateKey[0], 1);
  assert.equal(keys.made(), 1, "the refill waits for the end of the turn");
  assert.equal(turn.pending(), 1);
  await turn.runAll();
  assert.equal(keys.made(), 3, "two made ahead");
  assert.equal((await stock.take()).privateKey[0], 2, "the next DH step takes one made ahead");
  assert.equal(keys.made(), 3, "without making one on its path");
});

Deno.test("ratchet key stock: every pair is handed out once, in the order made", async () => {
  const keys = numbered();
  const turn = manual();
  const stock = new RatchetKeyStock(keys.generate, turn.later, 2);
  const taken: number[] = [];
  for (let i = 0; i < 10; i++) {
    taken.push((await stock.take()).privateKey[0]!);
    if (i % 3 === 0) await turn.runAll(); // sometimes the refill ran between two steps
  }
  assert.equal(new Set(taken).size, taken.length, "no pair twice");
  assert.deepEqual(taken, [...taken].sort((a, b) => a - b));
});

Deno.test("ratchet key stock: one refill is scheduled however many pairs a turn takes", async () => {
  const keys = numbered();
  const turn = manual();
  const stock = new RatchetKeyStock(keys.generate, turn.later, 2);
  await stock.take();
  await stock.take();
  await stock.take();
  assert.equal(turn.pending(), 1);
  await turn.runAll();
  assert.equal(keys.made(), 5);
});

Deno.test("ratchet key stock: a failed refill leaves the stock empty; the next take makes its own pair", async () => {
  let fail = false;
  let made = 0;
  const generate = () => {
    if (fail) return Promise.reject(new Error("no randomness"));
    made++;
    return Promise.resolve({ privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) });
  };
  const turn = manual();
  const stock = new RatchetKeyStock(generate, turn.later, 2);
  await stock.take();
  fail = true;
  await turn.runAll();
  await assert.rejects(stock.take(), /no randomness/);
  fail = false;
  await stock.take();
  assert.equal(made, 2);
});
