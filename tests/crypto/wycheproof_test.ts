/**
 * Project Wycheproof vectors (../shared/vectors/wycheproof/, see its README) run through the
 * primitives.ts wrappers. Skipped, naming the folder, when the vectors are not there.
 */
import assert from "node:assert/strict";
import {
  aesGcmOpen,
  aesGcmSeal,
  concat,
  DecryptionError,
  ed25519Verify,
  hkdfSha256,
  x25519,
} from "../../src/crypto/primitives.ts";

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
  name: `wycheproof ed25519: every verdict matches${skipNote}`,
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
        } else {
          assert.deepEqual(await aesGcmSeal(key, iv, hex(t.msg), aad), sealed, `tcId ${t.tcId}`);
          assert.deepEqual(await aesGcmOpen(key, iv, sealed, aad), hex(t.msg), `tcId ${t.tcId}`);
        }
      }
    }
    assert.equal(total, 66);
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
