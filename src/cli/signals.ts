/** SIGINT and SIGTERM as an AbortSignal, for commands that stop cleanly when interrupted. */

/**
 * The signals that stop a command on `os`: Deno on Windows has no SIGTERM (adding a listener for
 * it throws); Ctrl-Break (SIGBREAK) stands in for it there.
 */
export function stopSignals(os: typeof Deno.build.os): readonly Deno.Signal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/**
 * Listens for the stop signals (stopSignals) until `dispose`: the first one aborts `signal` (and
 * the process is not ended by it).
 */
export function abortOnSignals(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handlers = stopSignals(Deno.build.os).map((name) =>
    [name, () => controller.abort(name)] as const
  );
  for (const [name, handler] of handlers) Deno.addSignalListener(name, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
    },
  };
}

/** Resolves once `signal` is aborted (at once when it already is). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
