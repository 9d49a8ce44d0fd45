/**
 * The rendezvous' configuration: command-line flags and an optional --config file (TOML, or JSON
 * when its name ends in .json), checked into one RendezvousConfig. Every flag has a file key of
 * the same name with `_` for `-` (`--log-level` is `log_level`); flags override the file;
 * unknown keys and bad values are UsageErrors that name the key and say what was wrong. Pure:
 * the caller passes the function that reads the file.
 */
import { parse as parseToml } from "smol-toml";
import { UsageError } from "../errors.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.ts";
import { parseMultiaddr } from "../net/address.ts";
import { parseArgs } from "node:util";
import { parseSize } from "../units.ts";
import { DEFAULT_COOLING_OFF_MS } from "./admin/policy.ts";
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from "./relay.ts";
import {
  checkFederatedNodes,
  type FederatedNode,
  parseFederatedNode,
} from "./federation/federated_node.ts";

/** Where the HTTP side listens, and its TLS files when it speaks TLS itself. */
export interface HttpConfig {
  readonly hostname: string;
  readonly port: number;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** A checked rendezvous configuration. */
export interface RendezvousConfig {
  readonly help: boolean;
  readonly listen: string[];
  readonly dataDir: string;
  readonly name: string;
  /** Off (undefined) unless --http or `http` is given. */
  readonly http: HttpConfig | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly coolingOffMs: number;
  /** The addresses announced instead of the listen addresses (none: the listen addresses). */
  readonly announce: string[];
  /** The relay's limits (DEFAULT_RELAY_LIMITS for what is not given); false runs no relay. */
  readonly relay: Partial<RelayLimits> | false;
  /** The nodes this one federates with (each must list this one too). */
  readonly federate: FederatedNode[];
  /** Whether federated nodes may list the users online here (`/list NAME` there). */
  readonly federatedList: boolean;
}

export const DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";
export const DEFAULT_DATA_DIR = "./tincan-rendezvous";
/** Where --http alone (or `http = true`) listens: loopback only. */
export const DEFAULT_HTTP = "127.0.0.1:8080";
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Every option: its flag (and file key), whether it repeats, and its help line. */
export const RENDEZVOUS_OPTIONS = {
  listen: {
    multiple: true,
    help: "address to listen on; repeatable (default " + DEFAULT_LISTEN + ")",
  },
  data: {
    multiple: false,
    help: "where the node key and database live (default " + DEFAULT_DATA_DIR + ")",
  },
  name: {
    multiple: false,
    help: "this rendezvous's name, shown to users (default: the data dir's name)",
  },
  http: {
    multiple: false,
    help: `serve the dashboard, /metrics and the API (alone: ${DEFAULT_HTTP})`,
  },
  "http-cert": { multiple: false, help: "PEM certificate: the HTTP side speaks TLS itself" },
  "http-key": { multiple: false, help: "PEM private key for --http-cert" },
  "log-level": { multiple: false, help: "debug, info, warn or error (default info)" },
  "log-format": { multiple: false, help: "text or json: one JSON object per line (default text)" },
  "cooling-off-days": {
    multiple: false,
    help: "days before a deleted account's name can be registered again (default 30)",
  },
  announce: {
    multiple: true,
    help: "the public address peers reach this node at; repeatable (see the README)",
  },
  "no-relay": { multiple: false, boolean: true, help: "run no circuit relay" },
  federate: {
    multiple: true,
    help: "federate with NAME=MULTIADDR/p2p/PEERID (that node must list this one); repeatable",
  },
  "no-federated-list": {
    multiple: false,
    boolean: true,
    help: "do not show federated nodes who is online here",
  },
  "relay-max-reservations": {
    multiple: false,
    help: `relay reservations in all (default ${DEFAULT_RELAY_LIMITS.maxReservations})`,
  },
  "relay-reservations-per-user": {
    multiple: false,
    help:
      `relay reservations one user may hold (default ${DEFAULT_RELAY_LIMITS.reservationsPerUser})`,
  },
  "relay-duration": {
    multiple: false,
    help: `seconds one relayed connection may last (default ${
      DEFAULT_RELAY_LIMITS.connectionDurationMs / 1000
    })`,
  },
  "relay-data": {
    multiple: false,
    help: "bytes one relayed connection may carry (default 64MiB)",
  },
  "relay-bandwidth": {
    multiple: false,
    help: "total bytes per second relayed; new relayed connections wait above it (default 16MiB)",
  },
} as const;

/** Options whose file value may be a number as well as a string. */
const NUMERIC: ReadonlySet<string> = new Set([
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

type OptionName = keyof typeof RENDEZVOUS_OPTIONS;
type Raw = Partial<Record<OptionName, string | string[]>>;

/** The options' help lines, for `tincan rendezvous --help`. */
export const RENDEZVOUS_OPTIONS_HELP = [
  "  --config FILE             read options from a TOML (or .json) file; flags override it",
  ...Object.entries(RENDEZVOUS_OPTIONS).map(([flag, o]) =>
    `  ${
      `--${flag}${"boolean" in o ? "" : flag === "http" ? " [ADDR]" : " VALUE"}`.padEnd(26)
    }${o.help}`
  ),
].join("\n");

/**
 * Parses `tincan rendezvous` arguments and the --config file they name (read with `readFile`).
 * @throws UsageError for unknown flags or keys, bad values, or a file that cannot be read or parsed.
 */
export function parseRendezvousConfig(
  args: readonly string[],
  readFile: (path: string) => string,
): RendezvousConfig {
  const options = Object.fromEntries(
    Object.entries(RENDEZVOUS_OPTIONS).map((
      [flag, o],
    ) => [flag, {
      type: "boolean" in o ? "boolean" as const : "string" as const,
      multiple: o.multiple,
    }]),
  );
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({
      args: withHttpDefault(args),
      options: { ...options, config: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }).values;
  } catch (err: unknown) {
    throw new UsageError(`rendezvous: ${(err as Error).message}`);
  }
  const fromFlags: Raw = {};
  for (const flag of Object.keys(RENDEZVOUS_OPTIONS) as OptionName[]) {
    const value = values[flag];
    if (typeof value === "string") fromFlags[flag] = value;
    else if (value === true) fromFlags[flag] = "true";
    else if (Array.isArray(value)) fromFlags[flag] = value.map(String);
  }
  if (fromFlags.listen?.length === 0) delete fromFlags.listen;
  const configPath = typeof values.config === "string" ? values.config : undefined;
  const fromFile = configPath === undefined ? {} : readConfigFile(configPath, readFile);
  return check({ ...fromFile, ...fromFlags }, values.help === true, configPath);
}

/** `--http` with no address after it means the loopback default. */
function withHttpDefault(args: readonly string[]): string[] {
  return args.map((arg, i) =>
    arg === "--http" && (args[i + 1] === undefined || args[i + 1]!.startsWith("-"))
      ? `--http=${DEFAULT_HTTP}`
      : arg
  );
}

function readConfigFile(path: string, readFile: (path: string) => string): Raw {
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
  const raw: Raw = {};
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
    } else if (typeof value === "string" || (typeof value === "number" && NUMERIC.has(name))) {
      raw[name] = String(value);
    } else {
      throw bad(key, `must be a ${name === "http" ? "string (HOST:PORT) or true" : "string"}`);
    }
  }
  return raw;
}

function fileKeys(): string[] {
  return Object.keys(RENDEZVOUS_OPTIONS).map((flag) => flag.replaceAll("-", "_"));
}

function check(raw: Raw, help: boolean, configPath: string | undefined): RendezvousConfig {
  const where = (flag: OptionName) =>
    configPath === undefined
      ? `--${flag}`
      : `--${flag} (or ${flag.replaceAll("-", "_")} in ${configPath})`;
  const one = (flag: OptionName): string | undefined => {
    const value = raw[flag];
    return typeof value === "string" ? value : undefined;
  };
  const listen = Array.isArray(raw.listen) && raw.listen.length > 0 ? raw.listen : [DEFAULT_LISTEN];
  for (const address of listen) {
    try {
      parseMultiaddr(address);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: ${where("listen")} ${(err as Error).message}`);
    }
  }
  const dataDir = one("data") ?? DEFAULT_DATA_DIR;
  if (dataDir === "") throw new UsageError(`rendezvous: ${where("data")} needs a directory`);
  const name = one("name") ?? (dataDir.split("/").filter(Boolean).pop() ?? "rendezvous");
  if (!NAME.test(name)) {
    throw new UsageError(
      `rendezvous: ${where("name")} "${name}" must be 1 to 64 of letters, digits, ".", "_" and "-"`,
    );
  }
  const logLevel = oneOf(one("log-level") ?? "info", LOG_LEVELS, where("log-level"));
  const logFormat = oneOf(one("log-format") ?? "text", LOG_FORMATS, where("log-format"));
  const days = one("cooling-off-days");
  let coolingOffMs = DEFAULT_COOLING_OFF_MS;
  if (days !== undefined) {
    const n = Number(days);
    if (days.trim() === "" || !Number.isFinite(n) || n < 0 || n > 3650) {
      throw new UsageError(
        `rendezvous: ${
          where("cooling-off-days")
        } must be a number of days from 0 to 3650 (got "${days}")`,
      );
    }
    coolingOffMs = n * DAY_MS;
  }
  const certFile = one("http-cert");
  const keyFile = one("http-key");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError(`rendezvous: ${where("http-cert")} and ${where("http-key")} go together`);
  }
  const address = one("http");
  if (address === undefined && certFile !== undefined) {
    throw new UsageError(`rendezvous: ${where("http-cert")} needs ${where("http")}`);
  }
  const http = address === undefined ? undefined : {
    ...parseHttpAddress(address, where("http")),
    ...(certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : {}),
  };
  const announce = Array.isArray(raw.announce) ? raw.announce : [];
  for (const address of announce) {
    try {
      parseMultiaddr(address);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: ${where("announce")} ${(err as Error).message}`);
    }
  }
  const relay = relayLimits(one, where);
  const federate = federatedNodes(Array.isArray(raw.federate) ? raw.federate : [], name, where);
  return {
    help,
    listen,
    dataDir,
    name,
    http,
    logLevel,
    logFormat,
    coolingOffMs,
    announce,
    relay,
    federate,
    federatedList: one("no-federated-list") === undefined,
  };
}

/**
 * The federate entries, parsed and checked as one list.
 * @throws UsageError naming the entry that is wrong and why.
 */
function federatedNodes(
  entries: readonly string[],
  self: string,
  where: (flag: OptionName) => string,
): FederatedNode[] {
  try {
    const nodes = entries.map(parseFederatedNode);
    checkFederatedNodes(nodes, self);
    return nodes;
  } catch (err: unknown) {
    if (!(err instanceof RangeError)) throw err;
    throw new UsageError(`rendezvous: ${where("federate")}: ${err.message}`);
  }
}

/**
 * The relay's limits from the relay options; false with no-relay.
 * @throws UsageError for a bad count or size, or limits given with no-relay.
 */
function relayLimits(
  one: (flag: OptionName) => string | undefined,
  where: (flag: OptionName) => string,
): Partial<RelayLimits> | false {
  const count = (flag: OptionName, max: number): number | undefined => {
    const value = one(flag);
    if (value === undefined) return undefined;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new UsageError(
        `rendezvous: ${where(flag)} must be a whole number from 1 to ${max} (got "${value}")`,
      );
    }
    return n;
  };
  const size = (flag: OptionName): number | undefined => {
    const value = one(flag);
    if (value === undefined) return undefined;
    try {
      return parseSize(value);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: ${where(flag)}: ${(err as Error).message}`);
    }
  };
  const durationS = count("relay-duration", 7 * 24 * 3600);
  const limits: Partial<RelayLimits> = Object.fromEntries(
    Object.entries({
      maxReservations: count("relay-max-reservations", 1_000_000),
      reservationsPerUser: count("relay-reservations-per-user", 1000),
      connectionDurationMs: durationS === undefined ? undefined : durationS * 1000,
      connectionDataBytes: size("relay-data"),
      bandwidthBytesPerSecond: size("relay-bandwidth"),
    }).filter(([, v]) => v !== undefined),
  );
  if (one("no-relay") === undefined) return limits;
  if (Object.keys(limits).length > 0) {
    throw new UsageError(`rendezvous: relay limits make no sense with ${where("no-relay")}`);
  }
  return false;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], where: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new UsageError(
      `rendezvous: ${where} must be one of ${allowed.join(", ")} (got "${value}")`,
    );
  }
  return found;
}

/**
 * Parses HOST:PORT (`[::1]:8080` for IPv6).
 * @throws UsageError naming `where` when it is not one.
 */
export function parseHttpAddress(
  input: string,
  where = "--http",
): { hostname: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(input);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new UsageError(
      `rendezvous: ${where} "${input}" must be HOST:PORT, e.g. ${DEFAULT_HTTP} or [::1]:8080`,
    );
  }
  return { hostname: match[1] ?? match[2]!, port };
}
