import assert from "node:assert/strict";
import { type CpuProfile, partOf, segments, summarize } from "../../bench/cpu_profile.ts";

const NPM = "file:///root/.cache/deno/npm/registry.npmjs.org";

Deno.test("partOf names npm packages, this repository's folders and wasm modules", () => {
  assert.equal(partOf(`${NPM}/@chainsafe/libp2p-noise/17.0.0/dist/src/noise.js`), PART.noise);
  assert.equal(partOf(`${NPM}/@libp2p/tcp/11.0.28/dist/src/socket-to-conn.js`), PART.tcp);
  // an npm package's own src/ folder is not this repository's
  assert.equal(partOf(`${NPM}/libp2p/3.3.11/src/connection.ts`), PART.libp2p);
  assert.equal(partOf("file:///work/x/src/rendezvous/store/accounts.ts"), PART.sqlite);
  assert.equal(partOf("file:///work/x/src/rendezvous/presence_protocol.ts"), PART.presence);
  assert.equal(partOf("file:///work/x/src/rendezvous/account_protocol.ts"), PART.other);
  assert.equal(partOf("wasm://wasm/opaque.wasm-0012eb0a"), PART.opaque);
  assert.equal(partOf("ext:deno_node/net.ts"), undefined);
});

const PART = {
  noise: "Noise (X25519 node:crypto, ChaCha20-Poly1305 wasm, HKDF)",
  tcp: "TCP socket reads and writes",
  libp2p: "libp2p streams, multistream-select, connection manager",
  sqlite: "SQLite (stores)",
  presence: "presence (protocol, interest index, logged-in table)",
  other: "other rendezvous code (src/)",
  opaque: "OPAQUE (wasm)",
};

/**
 * A profile: root → tcp sendData → native write; root → opaque; root → (idle). Samples every
 * 10 ms: `busy` is a list of what each sample was in, "i" idle, "w" the write, "o" OPAQUE.
 */
function profile(busy: string): CpuProfile {
  const ids: Record<string, number> = { i: 4, w: 3, o: 5 };
  const samples = [...busy].map((c) => ids[c]!);
  const hits = (id: number) => samples.filter((s) => s === id).length;
  return {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: 0 }, children: [2, 4, 5] },
      {
        id: 2,
        callFrame: { functionName: "sendData", url: `${NPM}/@libp2p/tcp/1/x.js`, lineNumber: 0 },
        children: [3],
      },
      {
        id: 3,
        callFrame: { functionName: "writeBuffer", url: "", lineNumber: 0 },
        hitCount: hits(3),
      },
      { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: 0 }, hitCount: hits(4) },
      {
        id: 5,
        callFrame: { functionName: "mul", url: "wasm://wasm/opaque.wasm-1", lineNumber: 0 },
        hitCount: hits(5),
      },
    ],
    startTime: 0,
    endTime: samples.length * 10_000,
    samples,
    timeDeltas: samples.map(() => 10_000),
  };
}

Deno.test("summarize charges a native call to the nearest part on its stack", () => {
  const summary = summarize(profile("wwoi"));
  assert.deepEqual(
    summary.byPart.map((s) => [s.name, s.ms]),
    [[PART.tcp, 20], [PART.opaque, 10]],
  );
  assert.equal(summary.busyMs, 30);
});

Deno.test("segments splits the timeline at idle gaps, not at a short one", () => {
  const found = segments(profile("ww" + "i".repeat(20) + "oooi" + "o" + "i".repeat(20) + "w"), 100);
  assert.deepEqual(found.map((s) => Math.round(s.busyMs)), [20, 40, 10]);
  assert.deepEqual(found[1]!.byPart.map((s) => s.name), [PART.opaque]);
});
