// deno-lint-ignore-file no-console
/**
 * One file transfer and the raw streams of bench/files.ts, from the code of another checkout, for
 * comparing two versions in the same hour: run it on each tree in turn. Prints one JSON line: the
 * load average, the data phase's MB/s, each side's CPU per MiB, and for each raw stream that tree
 * has (its receive window: "file" for a data stream's, "yamux" for Yamux's own 256 KiB) the ratio,
 * MB/s and the writer's and sink's CPU per MiB.
 *
 * Usage: deno run -A --config TREE/deno.json bench/files_compare.ts TREE [MIB]   (MIB: 64)
 */

/** The raw stream modules of a tree: with or without BULK_PROTOCOLS (trees before it had one). */
interface Bulk {
  readonly BULK_PROTOCOLS?: Readonly<Record<string, string>>;
  sendBulk(
    node: unknown,
    target: unknown,
    bytes: number,
    chunk: number,
    window?: string,
  ): Promise<number>;
}

async function main(): Promise<void> {
  const [tree, mibArg] = Deno.args;
  if (tree === undefined) throw new TypeError("files_compare.ts needs TREE (a checkout's path)");
  const mib = Number(mibArg ?? 64);
  const root = new URL(`${tree.replace(/\/$/, "")}/`, `file://${Deno.cwd()}/`);
  const at = (path: string) => new URL(path, root).href;
  const files = await import(at("bench/files.ts"));
  const bulk: Bulk = await import(at("bench/bulk.ts"));
  const { startClient, stopClients } = await import(at("bench/clients.ts"));
  const { readCpuMs } = await import(at("bench/proc.ts"));
  const { spawnServerProcess } = await import(at("bench/server_process.ts"));
  const { DEFAULT_CHUNK_BYTES } = await import(at("src/peer/files/constants.ts"));
  const windows = bulk.BULK_PROTOCOLS ? Object.keys(bulk.BULK_PROTOCOLS) : ["yamux"];
  const bytes = mib * 1024 * 1024;
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-compare-" });
  try {
    const phase = await files.fileTransfer(dir, await files.writePayload(dir, bytes));
    const out: Record<string, unknown> = {
      tree,
      load,
      fileMBs: round(bytes / 1e6 / phase.dataSeconds),
      sender: round(phase.senderCpuMs / mib),
      recipient: round(phase.recipientCpuMs / mib),
    };
    const server = await spawnServerProcess(new URL(at("bench/bulk_process.ts")));
    const client = await startClient("raw-bulk");
    try {
      for (const window of windows) {
        const chunk = DEFAULT_CHUNK_BYTES;
        await bulk.sendBulk(client.node, server.address, chunk * 8, chunk, window); // warm up
        const cpu = () => Promise.all([readCpuMs(Deno.pid), server.cpuMs()]);
        const [writer, sink] = await cpu();
        const seconds = await bulk.sendBulk(client.node, server.address, bytes, chunk, window);
        const [writerAfter, sinkAfter] = await cpu();
        out[`ratio_${window}`] = round(seconds / phase.dataSeconds);
        out[`rawMBs_${window}`] = round(bytes / 1e6 / seconds);
        out[`writer_${window}`] = round((writerAfter - writer) / mib);
        out[`sink_${window}`] = round((sinkAfter - sink) / mib);
      }
    } finally {
      await stopClients([client]);
      await server.stop();
    }
    console.log(JSON.stringify(out));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

if (import.meta.main) {
  await main();
  Deno.exit(0); // the bench peers' timers would hold the process open
}
