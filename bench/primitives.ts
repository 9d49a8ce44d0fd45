// deno-lint-ignore-file no-console
/**
 * Micro-benchmark of the per-message primitives: WebCrypto against @noble (and node:crypto for
 * AES-GCM, Ed25519 and X25519, through the src/crypto/primitives.ts wrappers that use it), one
 * operation at a time on one core, as the ratchet uses them (a fresh key for every HMAC and
 * AES-GCM call, so the WebCrypto side pays its key import each time).
 * Run: `deno run bench/primitives.ts`.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { ed25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { gcm } from "@noble/ciphers/aes.js";
import {
  ed25519Verify,
  generateX25519KeyPair,
  signerFromPrivateKey,
  x25519,
} from "../src/crypto/primitives.ts";

/** One operation measured both ways; `ratio` > 1 means WebCrypto is faster. */
export interface Row {
  readonly op: string;
  readonly webcryptoOpsPerSec: number;
  readonly nobleOpsPerSec: number;
  /** node:crypto, for the operations it offers. */
  readonly nodeOpsPerSec?: number;
  readonly ratio: number;
}

/** One operation to time. */
export type Op = () => Promise<unknown> | unknown;

const subtle = crypto.subtle;
const MESSAGE_BYTES = 100;

function random(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Operations per second of `op` run back to back for `seconds` after a short warm-up. */
export async function opsPerSecond(op: Op, seconds: number): Promise<number> {
  const warmEnd = performance.now() + Math.min(200, seconds * 250);
  while (performance.now() < warmEnd) await op();
  let ops = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 16; i++) await op();
    ops += 16;
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}

async function pairs(): Promise<Array<[string, Op, Op, Op?]>> {
  const message = random(MESSAGE_BYTES);
  const key32 = random(32);
  const nonce = random(12);

  const edPair = await subtle.generateKey("Ed25519", true, ["sign", "verify"]) as CryptoKeyPair;
  const edPrivate = new Uint8Array(await subtle.exportKey("pkcs8", edPair.privateKey)).slice(-32);
  const edPublic = new Uint8Array(await subtle.exportKey("raw", edPair.publicKey));
  const edSignature = new Uint8Array(await subtle.sign("Ed25519", edPair.privateKey, message));
  const signer = signerFromPrivateKey(await generateKeyPair("Ed25519"));
  const signerSignature = await signer.sign(message);

  const xPair = await subtle.generateKey("X25519", true, ["deriveBits"]) as CryptoKeyPair;
  const xPkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", xPair.privateKey));
  const xPrivate = xPkcs8.slice(-32);
  const xPeer = nobleX25519.getPublicKey(nobleX25519.utils.randomSecretKey());
  const xPeerBuffer = new Uint8Array(xPeer);

  const aesCiphertext = new Uint8Array(
    await subtle.encrypt(
      { name: "AES-GCM", iv: nonce },
      await subtle.importKey("raw", key32, "AES-GCM", false, ["encrypt"]),
      message,
    ),
  );

  return [
    [
      "Ed25519 sign",
      () => subtle.sign("Ed25519", edPair.privateKey, message),
      () => ed25519.sign(message, edPrivate),
      () => signer.sign(message),
    ],
    [
      "Ed25519 verify (raw key)",
      async () => {
        const key = await subtle.importKey("raw", edPublic, "Ed25519", false, ["verify"]);
        if (!await subtle.verify("Ed25519", key, edSignature, message)) throw new Error("bad");
      },
      () => {
        if (!ed25519.verify(edSignature, message, edPublic, { zip215: false })) {
          throw new Error("bad");
        }
      },
      // The wrapper keeps the key imported (a bounded cache): as a peer verifies its contacts.
      async () => {
        if (!await ed25519Verify(signer.publicKey, message, signerSignature)) {
          throw new Error("bad");
        }
      },
    ],
    [
      "X25519 (raw keys)",
      async () => {
        const priv = await subtle.importKey("pkcs8", xPkcs8, "X25519", false, ["deriveBits"]);
        const pub = await subtle.importKey("raw", xPeerBuffer, "X25519", false, []);
        return await subtle.deriveBits({ name: "X25519", public: pub }, priv, 256);
      },
      () => nobleX25519.getSharedSecret(xPrivate, xPeer),
      () => x25519(xPrivate, xPeer),
    ],
    [
      "X25519 key pair (raw bytes out)",
      async () => {
        const pair = await subtle.generateKey("X25519", true, ["deriveBits"]) as CryptoKeyPair;
        await subtle.exportKey("pkcs8", pair.privateKey);
        return await subtle.exportKey("raw", pair.publicKey);
      },
      () => nobleX25519.getPublicKey(nobleX25519.utils.randomSecretKey()),
      () => generateX25519KeyPair(),
    ],
    [
      "HMAC-SHA-256 (fresh key)",
      async () => {
        const key = await subtle.importKey(
          "raw",
          key32,
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"],
        );
        return await subtle.sign("HMAC", key, message);
      },
      () => hmac(sha256, key32, message),
      () => createHmac("sha256", key32).update(message).digest(),
    ],
    [
      "HKDF-SHA-256 -> 64 B (fresh key)",
      async () => {
        const key = await subtle.importKey("raw", key32, "HKDF", false, ["deriveBits"]);
        return await subtle.deriveBits(
          { name: "HKDF", hash: "SHA-256", salt: nonce, info: message },
          key,
          512,
        );
      },
      () => hkdf(sha256, key32, nonce, message, 64),
      () => hkdfSync("sha256", key32, nonce, message, 64),
    ],
    [
      "AES-256-GCM seal 100 B (fresh key)",
      async () => {
        const key = await subtle.importKey("raw", key32, "AES-GCM", false, ["encrypt"]);
        return await subtle.encrypt({ name: "AES-GCM", iv: nonce }, key, message);
      },
      () => gcm(key32, nonce).encrypt(message),
      () => {
        const cipher = createCipheriv("aes-256-gcm", key32, nonce, { authTagLength: 16 });
        return [cipher.update(message), cipher.final(), cipher.getAuthTag()];
      },
    ],
    [
      "AES-256-GCM open 100 B (fresh key)",
      async () => {
        const key = await subtle.importKey("raw", key32, "AES-GCM", false, ["decrypt"]);
        return await subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, aesCiphertext);
      },
      () => gcm(key32, nonce).decrypt(aesCiphertext),
      () => {
        const decipher = createDecipheriv("aes-256-gcm", key32, nonce, { authTagLength: 16 });
        decipher.setAuthTag(aesCiphertext.subarray(MESSAGE_BYTES));
        return [decipher.update(aesCiphertext.subarray(0, MESSAGE_BYTES)), decipher.final()];
      },
    ],
  ];
}

/** Measures every per-message primitive with WebCrypto and with @noble, `seconds` each side. */
export async function benchPrimitives(seconds = 1): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [op, webcrypto, noble, node] of await pairs()) {
    const webcryptoOpsPerSec = await opsPerSecond(webcrypto, seconds);
    const nobleOpsPerSec = await opsPerSecond(noble, seconds);
    rows.push({
      op,
      webcryptoOpsPerSec,
      nobleOpsPerSec,
      ...(node === undefined ? {} : { nodeOpsPerSec: await opsPerSecond(node, seconds) }),
      ratio: webcryptoOpsPerSec / nobleOpsPerSec,
    });
  }
  return rows;
}

/** The rows as a plain-text table. */
export function formatRows(rows: readonly Row[]): string {
  const header = ["operation", "WebCrypto ops/s", "noble ops/s", "node ops/s", "WebCrypto/noble"];
  const body = rows.map((r) => [
    r.op,
    Math.round(r.webcryptoOpsPerSec).toString(),
    Math.round(r.nobleOpsPerSec).toString(),
    r.nodeOpsPerSec === undefined ? "-" : Math.round(r.nodeOpsPerSec).toString(),
    r.ratio.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

if (import.meta.main) {
  console.log(`Deno ${Deno.version.deno}, one operation at a time, ${MESSAGE_BYTES}-byte message`);
  console.log(formatRows(await benchPrimitives()));
}
