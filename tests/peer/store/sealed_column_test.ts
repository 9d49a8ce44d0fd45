import assert from "node:assert/strict";
import { DecryptionError } from "../../../src/crypto/primitives.ts";
import { bodyContext } from "../../../src/peer/store/body_context.ts";
import { rowContext, SealedColumn, textRowKey } from "../../../src/peer/store/sealed_column.ts";

const KEY = new Uint8Array(32).fill(9);
const SECRET = new Uint8Array(32).fill(0xab);

Deno.test("SealedColumn: a value opens in its own row only, not in another row, column or table", () => {
  const column = new SealedColumn(KEY, "own_keys", "private_key");
  const sealed = column.seal(textRowKey(2, 5), SECRET);
  assert.deepEqual(column.open(textRowKey(2, 5), sealed, "the key"), SECRET);
  assert.throws(
    () => column.open(textRowKey(2, 6), sealed, "the private key of one-time prekey 6"),
    (err: unknown) => {
      assert.ok(err instanceof DecryptionError);
      assert.match(err.message, /Cannot open the private key of one-time prekey 6/);
      assert.match(err.message, /own_keys\.private_key in peer\.db/);
      assert.match(err.message, /copied from another row/);
      return true;
    },
  );
  assert.equal(
    new SealedColumn(KEY, "own_keys", "public_key").tryOpen(textRowKey(2, 5), sealed),
    undefined,
  );
  assert.equal(
    new SealedColumn(KEY, "sessions", "private_key").tryOpen(textRowKey(2, 5), sealed),
    undefined,
  );
  assert.equal(
    new SealedColumn(new Uint8Array(32), "own_keys", "private_key").tryOpen(
      textRowKey(2, 5),
      sealed,
    ),
    undefined,
  );
});

Deno.test("SealedColumn: a damaged or truncated value is an error naming it, not a crash", () => {
  const column = new SealedColumn(KEY, "sessions", "state");
  const sealed = column.seal(Uint8Array.of(1), SECRET);
  const damaged = new Uint8Array(sealed);
  damaged[20]! ^= 1;
  for (const bad of [damaged, sealed.subarray(0, 8), sealed.subarray(0, 20), new Uint8Array(0)]) {
    assert.throws(() => column.open(Uint8Array.of(1), bad, "the state"), {
      name: "DecryptionError",
      message: /Cannot open the state \(sessions\.state in peer\.db\): it is damaged/,
    });
  }
});

Deno.test("rowContext is the body context's layout: bodies sealed before still open", () => {
  const id = new Uint8Array(16).fill(4);
  assert.deepEqual(bodyContext("history", id), rowContext("history", id));
  assert.deepEqual(rowContext("ab", Uint8Array.of(7)), Uint8Array.of(0x61, 0x62, 0, 7));
});
