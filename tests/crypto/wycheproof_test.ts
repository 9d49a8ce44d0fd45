/**
 * Project Wycheproof vectors (../shared/vectors/wycheproof/, see its README) run through the
 * primitives.ts and kem.ts wrappers. Skipped, naming the folder, when the vectors are not there.
 */
import assert from "node:assert/strict";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import {
  isValidKemPublicKey,
  kemDecapsulate,
  kemEncapsulate,
  kemKeyPairFromSeed,
} from "../../src/crypto/kem.ts";
import {
  concat,
  DecryptionError,
  ed25519Verify,
  hkdfSha256,
  x25519,
} from "../../src/crypto/primitives.ts";
import {
  aesGcmOpen,
  aesGcmOpenSync,
  aesGcmSeal,
  aesGcmSealSync,
  chacha20Poly1305Open,
  chacha20Poly1305OpenPieces,
  chacha20Poly1305Seal,
  chacha20Poly1305SealPieces,
} from "../../src/crypto/aead.ts";

const FOLDER = new URL("../../../shared/vectors/wycheproof/", import.meta.url);
const present = (() => {
  try {
    return Deno.statSync(FOLDER).isDirectory;
  } catch {
    return false;
  }
})();
const ignore = !present;
const skipNote = ignore ? ` (skipped: ${FOLDER.pathname} is missing)` : "";

/** `bytes` cut in three uneven pieces (some empty when it is short), as a stream may deliver it. */
function thirds(bytes: Uint8Array): Uint8Array[] {
  const [a, b] = [Math.floor(bytes.length / 3), Math.floor((2 * bytes.length) / 3) + 1];
  return [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)];
}

interface Case {
  tcId: number;
  result: "valid" | "acceptable" | "invalid";
  flags: string[];
  [field: string]: unknown;
}
interface Group {
  tests: Case[];
  [field: string]: unknown;
}

async function groups(name: string): Promise<Group[]> {
  const json = JSON.parse(await Deno.readTextFile(new URL(name, FOLDER)));
  return json.testGroups as Group[];
}

function hex(value: unknown): Uint8Array {
  const s = String(value);
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

Deno.test({
  name: `wycheproof x25519: shared secrets match and the 31 low-order cases throw${skipNote}`,
  ignore,
  async fn() {
    let rejected = 0;
    let total = 0;
    for (const group of await groups("x25519_test.json")) {
      for (const t of group.tests) {
        total++;
        const run = x25519(hex(t.private), hex(t.public));
        if (t.flags.includes("ZeroSharedSecret")) {
          await assert.rejects(run, RangeError, `tcId ${t.tcId}`);
          rejected++;
        } else {
          assert.notEqual(t.result, "invalid", `tcId ${t.tcId}`);
          assert.deepEqual(await run, hex(t.shared), `tcId ${t.tcId}`);
        }
      }
    }
    assert.equal(total, 518);
    assert.equal(rejected, 31);
  },
});

Deno.test({
  name: `wycheproof ed25519 (node:crypto, strict RFC 8032): every verdict matches${skipNote}`,
  ignore,
  async fn() {
    let total = 0;
    for (const group of await groups("ed25519_test.json")) {
      const publicKey = hex((group.publicKey as { pk: string }).pk);
      for (const t of group.tests) {
        total++;
        const ok = await ed25519Verify(publicKey, hex(t.msg), hex(t.sig));
        assert.equal(ok, t.result === "valid", `tcId ${t.tcId} ${t.comment}`);
      }
    }
    assert.equal(total, 151);
  },
});

Deno.test({
  name: `wycheproof AES-GCM: 256-bit keys, 96-bit nonces, 128-bit tags${skipNote}`,
  ignore,
  async fn() {
    // The wrapper only takes AES-256 with a 12-byte nonce; the other groups test other APIs.
    let total = 0;
    for (const group of await groups("aes_gcm_test.json")) {
      if (group.keySize !== 256 || group.ivSize !== 96 || group.tagSize !== 128) continue;
      for (const t of group.tests) {
        total++;
        const [key, iv, aad] = [hex(t.key), hex(t.iv), hex(t.aad)];
        const sealed = concat(hex(t.ct), hex(t.tag));
        if (t.result === "invalid") {
          await assert.rejects(aesGcmOpen(key, iv, sealed, aad), DecryptionError, `tcId ${t.tcId}`);
          assert.throws(() => aesGcmOpenSync(key, iv, sealed, aad), DecryptionError, `${t.tcId}`);
        } else {
          assert.deepEqual(await aesGcmSeal(key, iv, hex(t.msg), aad), sealed, `tcId ${t.tcId}`);
          assert.deepEqual(await aesGcmOpen(key, iv, sealed, aad), hex(t.msg), `tcId ${t.tcId}`);
          // The synchronous form (at-rest sealing) makes and opens the same bytes.
          assert.deepEqual(aesGcmSealSync(key, iv, hex(t.msg), aad), sealed, `tcId ${t.tcId}`);
          assert.deepEqual(aesGcmOpenSync(key, iv, sealed, aad), hex(t.msg), `tcId ${t.tcId}`);
        }
      }
    }
    assert.equal(total, 66);
  },
});

Deno.test({
  name: `wycheproof ChaCha20-Poly1305: valid cases seal and open, invalid ones throw${skipNote}`,
  ignore,
  async fn() {
    let total = 0;
    let badNonces = 0;
    for (const group of await groups("chacha20_poly1305_test.json")) {
      assert.equal(group.keySize, 256);
      assert.equal(group.tagSize, 128);
      for (const t of group.tests) {
        total++;
        const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
        const sealed = concat(hex(t.ct), hex(t.tag));
        if (group.ivSize !== 96) {
          assert.equal(t.result, "invalid", `tcId ${t.tcId}`);
          assert.throws(() => chacha20Poly1305Open(key, iv, sealed, aad), RangeError);
          assert.throws(() => chacha20Poly1305Seal(key, iv, msg, aad), RangeError);
          assert.throws(() => chacha20Poly1305SealPieces(key, iv, msg, aad, 7), RangeError);
          assert.throws(() => chacha20Poly1305OpenPieces(key, iv, [], hex(t.tag), aad), RangeError);
          badNonces++;
        } else if (t.result === "invalid") {
          assert.throws(
            () => chacha20Poly1305Open(key, iv, sealed, aad),
            DecryptionError,
            `tcId ${t.tcId}`,
          );
          assert.throws(
            () => chacha20Poly1305OpenPieces(key, iv, thirds(hex(t.ct)), hex(t.tag), aad),
            DecryptionError,
            `tcId ${t.tcId} in pieces`,
          );
        } else {
          assert.deepEqual(chacha20Poly1305Seal(key, iv, msg, aad), sealed, `tcId ${t.tcId}`);
          assert.deepEqual(chacha20Poly1305Open(key, iv, sealed, aad), msg, `tcId ${t.tcId}`);
          const pieces = chacha20Poly1305SealPieces(key, iv, msg, aad, 7);
          assert.deepEqual(concat(...pieces), sealed, `tcId ${t.tcId} sealed in pieces`);
          const opened = chacha20Poly1305OpenPieces(key, iv, thirds(hex(t.ct)), hex(t.tag), aad);
          assert.deepEqual(concat(...opened), msg, `tcId ${t.tcId} opened in pieces`);
        }
      }
    }
    assert.equal(total, 325);
    assert.equal(badNonces, 9);
  },
});

Deno.test({
  name: `wycheproof HKDF-SHA-256: outputs match and SizeTooLarge throws${skipNote}`,
  ignore,
  async fn() {
    let total = 0;
    for (const group of await groups("hkdf_sha256_test.json")) {
      for (const t of group.tests) {
        total++;
        const run = () => hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), Number(t.size));
        if (t.result === "invalid") {
          assert.ok(t.flags.includes("SizeTooLarge"));
          assert.throws(run, RangeError, `tcId ${t.tcId}`);
        } else {
          assert.deepEqual(run(), hex(t.okm), `tcId ${t.tcId}`);
        }
      }
    }
    assert.equal(total, 86);
  },
});

Deno.test({
  name: `wycheproof ML-KEM-768 decapsulation: keys, secrets, and bad lengths throw${skipNote}`,
  ignore,
  async fn() {
    // Each case is a 64-byte seed d ‖ z, its ek, a ciphertext and K. The valid ones include
    // altered ciphertexts, whose K is the implicit-rejection secret.
    const rejected = { seed: 0, ciphertext: 0 };
    let total = 0;
    for (const group of await groups("mlkem_768_test.json")) {
      for (const t of group.tests) {
        total++;
        const [seed, c] = [hex(t.seed), hex(t.c)];
        if (t.result === "invalid") {
          const which = seed.length === 64 ? "ciphertext" : "seed";
          assert.throws(() => kemDecapsulate(seed, c), RangeError, `tcId ${t.tcId}`);
          if (which === "seed") assert.throws(() => kemKeyPairFromSeed(seed), RangeError);
          rejected[which]++;
          continue;
        }
        assert.deepEqual(kemKeyPairFromSeed(seed).publicKey, hex(t.ek), `tcId ${t.tcId}`);
        assert.deepEqual(kemDecapsulate(seed, c), hex(t.K), `tcId ${t.tcId} ${t.comment}`);
      }
    }
    assert.equal(total, 193);
    assert.deepEqual(rejected, { seed: 20, ciphertext: 20 });
  },
});

Deno.test({
  name:
    `wycheproof ML-KEM-768 encapsulation: the FIPS 203 7.2 key check refuses bad keys${skipNote}`,
  ignore,
  async fn() {
    const rejected = { length: 0, modulus: 0 };
    let total = 0;
    for (const group of await groups("mlkem_768_encaps_test.json")) {
      for (const t of group.tests) {
        total++;
        const [ek, m] = [hex(t.ek), hex(t.m)];
        if (t.result === "invalid") {
          assert.equal(isValidKemPublicKey(ek), false, `tcId ${t.tcId}`);
          assert.throws(() => kemEncapsulate(ek, () => new Uint8Array(m)), RangeError);
          // The library refuses them too (its own modulus and length checks).
          assert.throws(() => ml_kem768.encapsulate(ek, new Uint8Array(m)), `tcId ${t.tcId}`);
          rejected[ek.length === 1184 ? "modulus" : "length"]++;
          continue;
        }
        assert.equal(isValidKemPublicKey(ek), true, `tcId ${t.tcId}`);
        const { ciphertext, sharedSecret } = kemEncapsulate(ek, () => new Uint8Array(m));
        assert.deepEqual(ciphertext, hex(t.c), `tcId ${t.tcId}`);
        assert.deepEqual(sharedSecret, hex(t.K), `tcId ${t.tcId}`);
      }
    }
    assert.equal(total, 265);
    assert.deepEqual(rejected, { length: 20, modulus: 112 });
  },
});
