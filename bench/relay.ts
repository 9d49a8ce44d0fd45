/**
 * The relay section: in the namespace lab (tests/integration/netlab.ts), a rendezvous on the
 * lab's internet, an echo peer on it too (public, with a relay slot), and a client behind a NAT66
 * router that measures the same peer directly and through the relay: time to a first message
 * (fresh nodes: connect, Noise, Yamux, one echo), round trips, stream throughput, and the
 * rendezvous's CPU per relayed MB. Skipped, with the reason, where namespaces cannot be made.
 */
import { PERMISSIONS } from "../tests/integration/cli_process.ts";
import { createNetLab, type LabHost, netlabUnavailable } from "../tests/integration/netlab.ts";
import { readCpuMs } from "./proc.ts";
import type { Row, Section } from "./report.ts";

const TITLE = "relay: direct vs relayed through the rendezvous (namespace lab, NAT66 client)";
const SCRIPT = new URL("./relay_process.ts", import.meta.url).pathname;
const TIMEOUT_MS = 180_000;

/** What the client process measured. */
interface ClientResult {
  readonly firstMs: number[];
  readonly rtts: number[];
  readonly bytesPerSecond: number;
}

/** A process in the lab whose stdout is collected. */
function start(lab: Awaited<ReturnType<typeof createNetLab>>, host: LabHost, args: string[]) {
  const [exe, ...rest] = lab.exec(host, [Deno.execPath(), "run", ...PERMISSIONS, SCRIPT, ...args]);
  const child = new Deno.Command(exe!, { args: rest, stdout: "piped", stderr: "inherit" }).spawn();
  let exited = false;
  void child.status.then(() => exited = true);
  let out = "";
  const done = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
  })();
  return { child, stdout: () => out, exited: () => exited, done };
}

async function line(
  process: { stdout: () => string; exited: () => boolean },
  what: string,
): Promise<string> {
  const read = process.stdout;
  const deadline = Date.now() + TIMEOUT_MS;
  while (!read().includes("\n")) {
    if (process.exited()) throw new Error(`${what} of the relay bench exited (see its stderr)`);
    if (Date.now() > deadline) throw new Error(`the relay bench waited too long for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return read().split("\n")[0]!;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
};

/** Measures the relay; one section, or one with only the reason it was skipped. */
export async function benchRelay(): Promise<Section> {
  const unavailable = await netlabUnavailable();
  if (unavailable) return { title: TITLE, rows: [], notes: [`skipped: ${unavailable}`] };
  const lab = await createNetLab();
  const children: Deno.ChildProcess[] = [];
  try {
    const rvHost = await lab.publicHost("rv", 0x10);
    const echoHost = await lab.publicHost("echo", 0x20);
    const client = await lab.natHost("cl", 0x31);
    const dataDir = await Deno.makeTempDir({ prefix: "tincan-bench-relay-" });
    const rv = start(lab, rvHost, ["rendezvous", dataDir, `/ip6/${rvHost.address}/tcp/4001`]);
    children.push(rv.child);
    const rvAddress = await line(rv, "the rendezvous");
    const echo = start(lab, echoHost, ["echo", rvAddress, echoHost.address]);
    children.push(echo.child);
    const addresses = JSON.parse(await line(echo, "the echo peer"));
    const measure = async (address: string, name: string): Promise<ClientResult> => {
      const run = start(lab, client, ["client", address, rvAddress, name]);
      children.push(run.child);
      return JSON.parse(await line(run, "the client"));
    };
    const direct = await measure(addresses.direct, "direct");
    const cpuBefore = await readCpuMs(rv.child.pid);
    const relayed = await measure(addresses.relayed, "relayed");
    const cpuMs = await readCpuMs(rv.child.pid) - cpuBefore;
    await Deno.remove(dataDir, { recursive: true });
    // What crossed the relay in the relayed run: first messages, round trips, the stream.
    const relayedMB = (16 * 1024 * 1024 + 2 * 100 * (5 + 220)) / (1024 * 1024);
    const rows: Row[] = [];
    const median = (values: number[]) => percentile(values, 0.5);
    const vs = (label: string, value: number) => ({ label, value });
    rows.push(
      {
        label: "first message, direct (connect + echo)",
        value: median(direct.firstMs),
        unit: "ms",
      },
      {
        label: "first message, relayed",
        value: median(relayed.firstMs),
        unit: "ms",
        baseline: vs("direct", median(direct.firstMs)),
      },
      { label: "round trip p50, direct", value: percentile(direct.rtts, 0.5), unit: "ms" },
      {
        label: "round trip p50, relayed",
        value: percentile(relayed.rtts, 0.5),
        unit: "ms",
        baseline: vs("direct p50", percentile(direct.rtts, 0.5)),
      },
      { label: "round trip p99, direct", value: percentile(direct.rtts, 0.99), unit: "ms" },
      {
        label: "round trip p99, relayed",
        value: percentile(relayed.rtts, 0.99),
        unit: "ms",
        baseline: vs("direct p99", percentile(direct.rtts, 0.99)),
      },
      { label: "stream throughput, direct", value: direct.bytesPerSecond / 2 ** 20, unit: "MiB/s" },
      {
        label: "stream throughput, relayed",
        value: relayed.bytesPerSecond / 2 ** 20,
        unit: "MiB/s",
        baseline: vs("direct", direct.bytesPerSecond / 2 ** 20),
      },
      { label: "rendezvous CPU per relayed MiB", value: cpuMs / relayedMB, unit: "ms/MiB" },
    );
    return {
      title: TITLE,
      rows,
      notes: ["the same echo peer, reached from behind a NAT66 router directly and via the relay"],
    };
  } finally {
    for (const child of children) {
      try {
        child.kill();
      } catch {
        // already exited
      }
    }
    await lab.close();
  }
}
