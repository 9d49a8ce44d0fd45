/**
 * The rendezvous' configuration: command-line flags and an optional --config file (TOML, or JSON
 * when its name ends in .json), checked into one RendezvousConfig. Every flag has a file key of
 * the same name with `_` for `-` (`--log-level` is `log_level`); flags override the file;
 * unknown keys and bad values are UsageErrors that name the key and say what was wrong. Pure:
 * the caller passes the function that reads the file. The options are in config_options.ts, the
 * file reader in config_file.ts, the relay limits in config_relay.ts, the HTTP address in
 * config_http.ts.
 */
import { UsageError } from "../errors.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.ts";
import { parseMultiaddr } from "../net/address.ts";
import { parseArgs } from "node:util";
import { DEFAULT_COOLING_OFF_MS } from "./admin/policy.ts";
import { readConfigFile } from "./config_file.ts";
import { type HttpConfig, httpConfig } from "./config_http.ts";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HTTP,
  DEFAULT_LISTEN,
  type OptionName,
  type RawOptions,
  RENDEZVOUS_OPTIONS,
} from "./config_options.ts";
import { relayLimits } from "./config_relay.ts";
import type { RelayLimits } from "./relay.ts";
import {
  checkFederatedNodes,
  type FederatedNode,
  parseFederatedNode,
} from "./federation/federated_node.ts";

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

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

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
  const fromFlags: RawOptions = {};
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

function check(raw: RawOptions, help: boolean, configPath: string | undefined): RendezvousConfig {
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
  const http = httpConfig(one, where);
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

function oneOf<T extends string>(value: string, allowed: readonly T[], where: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new UsageError(
      `rendezvous: ${where} must be one of ${allowed.join(", ")} (got "${value}")`,
    );
  }
  return found;
}
