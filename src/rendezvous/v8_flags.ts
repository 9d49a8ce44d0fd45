/**
 * The V8 flags the rendezvous role runs with (`deno task rendezvous`, and the bench's rendezvous
 * processes; a compiled binary would take them from Deno's DENO_V8_FLAGS, not tried).
 * `--max-semi-space-size=4` caps each of the young generation's semi-spaces at 4 MiB: under
 * connection churn V8 otherwise grows the young generation to its maximum (64 MiB here) and keeps
 * it reserved, which at 1,000 peers was ≈ 20 KiB of RSS per peer for nothing (README, Figures:
 * the memory bench with and without). Smaller (1 MiB) was measured too: no less RSS (more
 * promoted to the old generation) and about twice the GC time.
 */
export const RENDEZVOUS_V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];
