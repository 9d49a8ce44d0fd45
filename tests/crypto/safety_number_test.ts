import assert from "node:assert/strict";
import {
  fingerprintDigits,
  SAFETY_NUMBER_ITERATIONS,
  safetyNumber,
} from "../../src/crypto/safety_number.ts";
import { concat, sha512 } from "../../src/crypto/primitives.ts";
import { flipBit } from "./parties.ts";

const alice = { username: "alice", identityKey: new Uint8Array(32).fill(1) };
const bob = { username: "bob", identityKey: new Uint8Array(32).fill(2) };

Deno.test("a safety number is 12 groups of 5 digits, the same on both sides", () => {
  const number = safetyNumber(alice, bob);
  assert.match(number, /^\d{5}( \d{5}){11}$/);
  assert.equal(safetyNumber(bob, alice), number);
  const sides = [fingerprintDigits(alice), fingerprintDigits(bob)].sort();
  assert.equal(number.replaceAll(" ", ""), sides.join(""));
});

Deno.test("fingerprintDigits follows Signal's iteration and 5-byte chunks", () => {
  const version = Uint8Array.of(0, 0);
  let hash = concat(version, alice.identityKey, new TextEncoder().encode("alice"));
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) hash = sha512(concat(hash, alice.identityKey));
  let expected = "";
  for (let i = 0; i < 30; i += 5) {
    const chunk = hash.subarray(i, i + 5).reduce((n, b) => n * 256 + b, 0);
    expected += String(chunk % 100000).padStart(5, "0");
  }
  assert.equal(fingerprintDigits(alice), expected);
});

Deno.test("a different key or username changes the safety number", () => {
  const number = safetyNumber(alice, bob);
  assert.notEqual(
    safetyNumber(alice, { ...bob, identityKey: flipBit(bob.identityKey, 0) }),
    number,
  );
  assert.notEqual(safetyNumber(alice, { ...bob, username: "bob2" }), number);
  assert.notEqual(safetyNumber({ ...alice, username: "mallory" }, bob), number);
});

Deno.test("safetyNumber refuses a key that is not 32 bytes", () => {
  assert.throws(() => safetyNumber(alice, { ...bob, identityKey: new Uint8Array(33) }), RangeError);
});
