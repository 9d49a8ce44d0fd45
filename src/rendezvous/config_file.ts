/**
 * The rendezvous' --config file: TOML, or JSON when its name ends in .json, read into the same raw
 * options as the flags (file keys are the flags with `_` for `-`). Pure: the caller passes the
 * function that reads the file.
 */
import { parse as parseToml } from "smol-toml";
import { UsageError } from "../errors.ts";
import {
  DEFAULT_HTTP,
  type OptionName,
  type RawOptions,
  RENDEZVOUS_OPTIONS,
} from "./config_options.ts";

/**
 * Reads the --config file at `path` (with `readFile`) into raw options, each value of its key's type.
 * @throws UsageError for a file that cannot be read or parsed, an unknown key, or a bad value.
 */
export function readConfigFile(path: string, readFile: (path: string) => string): RawOptions {
  let text: string;
  try {
    text = readFile(path);
  } catch (err: unknown) {
    throw new UsageError(`rendezvous: cannot read --config ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith(".json") ? JSON.parse(text) : parseToml(text);
  } catch (err: unknown) {
    throw new UsageError(
      `rendezvous: ${path} is not valid ${path.endsWith(".json") ? "JSON" : "TOML"}: ${
        (err as Error).message
      }`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`rendezvous: ${path} must hold a table of options`);
  }
  const raw: RawOptions = {};
  const bad = (key: string, what: string) => new UsageError(`rendezvous: ${path}: ${key} ${what}`);
  for (const [key, value] of Object.entries(parsed)) {
    const flag = key.replaceAll("_", "-");
    if (!(flag in RENDEZVOUS_OPTIONS) || key.includes("-")) {
      throw bad(`unknown key "${key}";`, `the keys are ${fileKeys().join(", ")}`);
    }
    const name = flag as OptionName;
    if (RENDEZVOUS_OPTIONS[name].multiple) {
      const list = typeof value === "string" ? [value] : value;
      if (!Array.isArray(list) || !list.every((v) => typeof v === "string")) {
        throw bad(key, "must be a string or a list of strings");
      }
      raw[name] = list;
    } else if (name === "http" && typeof value === "boolean") {
      if (value) raw.http = DEFAULT_HTTP;
    } else if (isBoolean(name)) {
      if (typeof value !== "boolean") throw bad(key, "must be true or false");
      if (value) raw[name] = "true";
    } else if (
      typeof value === "string" || (typeof value === "number" && NUMERIC_OPTIONS.has(name))
    ) {
      raw[name] = String(value);
    } else {
      throw bad(key, `must be a ${name === "http" ? "string (HOST:PORT) or true" : "string"}`);
    }
  }
  return raw;
}

/** Options whose file value may be a number as well as a string. */
const NUMERIC_OPTIONS: ReadonlySet<string> = new Set([
  "cooling-off-days",
  "relay-max-reservations",
  "relay-reservations-per-user",
  "relay-duration",
  "relay-data",
  "relay-bandwidth",
]);

function isBoolean(flag: OptionName): boolean {
  return "boolean" in RENDEZVOUS_OPTIONS[flag];
}

function fileKeys(): string[] {
  return Object.keys(RENDEZVOUS_OPTIONS).map((flag) => flag.replaceAll("-", "_"));
}
