/**
 * A scoped logger that writes one line per event to stderr. Library code logs through this,
 * never through `console`, and never logs secrets, passwords or message plaintext.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Where log lines go; the CLI may replace it (tests capture it). */
export interface LogSink {
  write(line: string): void;
}

const encoder = new TextEncoder();
const stderrSink: LogSink = { write: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")) };

let sink: LogSink = stderrSink;
let threshold: LogLevel = "info";

/** Sets the minimum level written and, optionally, where lines go. */
export function configureLogging(level: LogLevel, to: LogSink = stderrSink): void {
  threshold = level;
  sink = to;
}

/** A logger whose lines start with `[scope]`. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Returns a logger for one component, e.g. `logger("rendezvous:accounts")`. */
export function logger(scope: string): Logger {
  const emit = (level: LogLevel) => (message: string) => {
    if (ORDER[level] < ORDER[threshold]) return;
    sink.write(`${new Date().toISOString()} ${level} [${scope}] ${message}`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
