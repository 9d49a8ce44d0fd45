// deno-lint-ignore-file no-console
/**
 * The stdio protocol of a bench server process: it prints each listen multiaddr on a line of its
 * own, answers a "gc" line on stdin with a line "gc <JSON of Deno.memoryUsage()>" on stdout (after
 * a full garbage collection when V8 runs with --expose-gc), and stops when stdin closes or on
 * SIGTERM.
 */

/** Serves the stdio protocol until stdin closes or SIGTERM; then runs `stop` and exits. */
export async function serveStdio(
  addresses: readonly string[],
  stop: () => Promise<void>,
): Promise<never> {
  for (const address of addresses) console.log(address);
  let stopping: Promise<never> | undefined;
  const shutdown = () =>
    stopping ??= stop().then(
      () => Deno.exit(0),
      (err: unknown) => {
        console.error(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        Deno.exit(1);
      },
    );
  Deno.addSignalListener("SIGTERM", shutdown);
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line === "gc") {
      collectGarbage();
      console.log(`gc ${JSON.stringify(Deno.memoryUsage())}`);
    }
  }
  return await shutdown();
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The lines of a byte stream, without their line ends. */
export async function* readLines(bytes: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const text of bytes.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let end: number;
    while ((end = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== "") yield buffered;
}
