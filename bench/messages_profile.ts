// deno-lint-ignore-file no-console
/**
 * Profiles pipelined chat messages on both sides: alice (here) sends `--messages` messages to bob
 * (bench/peer_process.ts) back to back, `--rounds` times, each time until all are acknowledged,
 * printing each round's rate and each side's CPU per message. Run it under `--cpu-prof` (alice)
 * with TINCAN_BENCH_CPU_PROF set (bob and the rendezvous), then summarize each profile with
 * bench/cpu_profile.ts.
 *
 * Usage:
 *   TINCAN_BENCH_CPU_PROF=DIR deno run -A --cpu-prof --cpu-prof-dir=DIR bench/messages_profile.ts
 *     [--messages N] [--rounds R]
 */
import { parseArgs } from "node:util";
import { withChatPair } from "./messages.ts";
import { ECHO_PREFIX, REPLY_PREFIX } from "./peer_process.ts";
import { readCpuMs } from "./proc.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    messages: { type: "string", default: "3000" },
    rounds: { type: "string", default: "3" },
  },
});
const messages = Number(values.messages);
const rounds = Number(values.rounds);
if (!Number.isInteger(messages) || messages < 1 || !Number.isInteger(rounds) || rounds < 1) {
  throw new RangeError("--messages and --rounds must be positive integers");
}

await withChatPair(async ({ alice, bob, arrivals }) => {
  for (let i = 0; i < 20; i++) {
    const replied = arrivals.at(`message ${REPLY_PREFIX}warm-${i}`);
    const id = await alice.send("bob", `${ECHO_PREFIX}warm-${i}`);
    await Promise.all([arrivals.at(`delivered ${id}`), replied]);
  }
  for (let round = 0; round < rounds; round++) {
    const [aliceBefore, bobBefore] = [await readCpuMs(Deno.pid), await bob.cpuMs()];
    const start = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < messages; i++) ids.push(await alice.send("bob", `bulk ${round} ${i}`));
    const written = performance.now();
    for (const id of ids) await arrivals.at(`delivered ${id}`);
    const end = performance.now();
    const [aliceCpu, bobCpu] = [
      await readCpuMs(Deno.pid) - aliceBefore,
      await bob.cpuMs() - bobBefore,
    ];
    console.log(
      `round ${round + 1}: ${(messages / ((end - start) / 1000)).toFixed(0)} msg/s ` +
        `(sends returned after ${(written - start).toFixed(0)} ms, all acked after ` +
        `${(end - start).toFixed(0)} ms); CPU per message alice ${
          (aliceCpu / messages * 1000).toFixed(0)
        } µs, bob ${(bobCpu / messages * 1000).toFixed(0)} µs`,
    );
  }
});
Deno.exit(0); // the profile is written at exit
