/**
 * A scoped, levelled logger that writes one line per event to stderr, as text or as one JSON
 * object per line (time, level, scope, message, fields). Library code logs through this, never
 * through `console`, and never logs secrets, passwords or message plaintext; as a second line of
 * defence, a field whose name says it holds a secret is written as "[redacted]".
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
/** How a line is written: `text` for people, `json` for log collectors. */
export type LogFormat = "text" | "json";

/** Every level, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
/** Every format. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Structured values attached to a log event. */
export type LogFields = Readonly<Record<string, string | number | boolean | null>>;

/** One event, as the listeners of `onLogRecord` see it (after redaction). */
export interface LogRecord {
  readonly time: string;
  readonly level: LogLevel;
  readonly scope: string;
  readonly message: string;
  readonly fields: LogFields;
}

/** Where log lines go; the CLI may replace it (tests capture it). */
export interface LogSink {
  write(line: string): void;
}

const encoder = new TextEncoder();
const stderrSink: LogSink = { write: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")) };

let sink: LogSink = stderrSink;
let threshold: LogLevel = "info";
let format: LogFormat = "text";
const listeners = new Set<(record: LogRecord) => void>();

/** Field names that hold secrets: their values are never written. */
const SECRET_FIELD = /pass(word)?|token|secret|cookie|csrf|private|plaintext/i;

/** Sets the minimum level written, optionally where lines go, and optionally their format. */
export function configureLogging(
  level: LogLevel,
  to: LogSink = stderrSink,
  as: LogFormat = format,
): void {
  threshold = level;
  sink = to;
  format = as;
}

/**
 * Calls `listener` with every event at or above the threshold (the dashboard shows the recent
 * warnings and errors); returns a function that stops it.
 */
export function onLogRecord(listener: (record: LogRecord) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A logger whose lines start with `[scope]`. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The fields with every secret-named value replaced. */
export function redactFields(fields: LogFields): LogFields {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [name, value] of Object.entries(fields)) {
    out[name] = SECRET_FIELD.test(name) ? "[redacted]" : value;
  }
  return out;
}

/** One record as a line in `as` format. */
export function formatLogRecord(record: LogRecord, as: LogFormat): string {
  if (as === "json") return JSON.stringify(record);
  const fields = Object.entries(record.fields)
    .map(([name, value]) => ` ${name}=${JSON.stringify(value)}`).join("");
  return `${record.time} ${record.level} [${record.scope}] ${record.message}${fields}`;
}

/** Returns a logger for one component, e.g. `logger("rendezvous:accounts")`. */
export function logger(scope: string): Logger {
  const emit = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (ORDER[level] < ORDER[threshold]) return;
    const record: LogRecord = {
      time: new Date().toISOString(),
      level,
      scope,
      message,
      fields: redactFields(fields),
    };
    sink.write(formatLogRecord(record, format));
    for (const listener of listeners) listener(record);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
