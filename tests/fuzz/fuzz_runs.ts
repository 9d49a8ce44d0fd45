/**
 * How hard the fuzz tests push: a few runs per property in the ordinary suite (CI), many more
 * under `deno task fuzz` (FUZZ_RUNS). The seed is printed by fast-check on a failure, so a failing
 * case can be replayed with FUZZ_SEED.
 */
import fc from "fast-check";

/** Runs per property: FUZZ_RUNS, else `ci`. */
export function fuzzRuns(ci: number): number {
  const runs = Number(Deno.env.get("FUZZ_RUNS") ?? "");
  return Number.isInteger(runs) && runs > 0 ? runs : ci;
}

/** fast-check parameters for a property: the runs, and FUZZ_SEED when given. */
export function fuzzParameters<T>(ci: number): fc.Parameters<T> {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? "");
  return { numRuns: fuzzRuns(ci), ...(Number.isInteger(seed) && seed !== 0 ? { seed } : {}) };
}

/**
 * Bytes made from a valid encoding `seed`: flipped bits, a cut, bytes spliced in or the whole
 * thing replaced by random bytes.
 */
export function mutated(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 8 })
    .map((bits) => {
      const out = seed.slice();
      for (const [at, bit] of bits) if (out.length > 0) out[at % out.length]! ^= 1 << bit;
      return out;
    });
  const cut = fc.nat().map((n) => seed.slice(0, seed.length === 0 ? 0 : n % seed.length));
  const spliced = fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 64 })).map(([at, extra]) => {
    const i = seed.length === 0 ? 0 : at % seed.length;
    const out = new Uint8Array(seed.length + extra.length);
    out.set(seed.subarray(0, i));
    out.set(extra, i);
    out.set(seed.subarray(i), i + extra.length);
    return out;
  });
  return fc.oneof(flips, cut, spliced, fc.uint8Array({ maxLength: 2048 }));
}
