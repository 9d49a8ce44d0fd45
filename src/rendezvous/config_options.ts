/**
 * Every option of `tincan rendezvous`: its flag (and --config file key, `_` for `-`), whether it
 * repeats, and its help line; the defaults they fall back to.
 */
import { DEFAULT_RELAY_LIMITS } from "./relay.ts";

/** Where the node listens when no --listen is given. */
export const DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";
/** Where the node key and database live when no --data is given. */
export const DEFAULT_DATA_DIR = "./tincan-rendezvous";
/** Where --http alone (or `http = true`) listens: loopback only. */
export const DEFAULT_HTTP = "127.0.0.1:8080";

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

/** The name of an option: its flag without the dashes. */
export type OptionName = keyof typeof RENDEZVOUS_OPTIONS;
/** Options as given (flags or file), not yet checked: a string, or strings for repeatable ones. */
export type RawOptions = Partial<Record<OptionName, string | string[]>>;

/** The options' help lines, for `tincan rendezvous --help`. */
export const RENDEZVOUS_OPTIONS_HELP = [
  "  --config FILE             read options from a TOML (or .json) file; flags override it",
  ...Object.entries(RENDEZVOUS_OPTIONS).map(([flag, o]) =>
    `  ${
      `--${flag}${"boolean" in o ? "" : flag === "http" ? " [ADDR]" : " VALUE"}`.padEnd(26)
    }${o.help}`
  ),
].join("\n");
