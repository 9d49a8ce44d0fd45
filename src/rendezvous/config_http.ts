/** Where the rendezvous' HTTP side listens: --http HOST:PORT and its TLS files. */
import { UsageError } from "../errors.ts";
import { DEFAULT_HTTP, type OptionName } from "./config_options.ts";

/** Where the HTTP side listens, and its TLS files when it speaks TLS itself. */
export interface HttpConfig {
  readonly hostname: string;
  readonly port: number;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/**
 * The HTTP side from --http, --http-cert and --http-key; undefined (off) without --http.
 * @throws UsageError for a bad address, or a certificate without its key (or without --http).
 */
export function httpConfig(
  one: (flag: OptionName) => string | undefined,
  where: (flag: OptionName) => string,
): HttpConfig | undefined {
  const certFile = one("http-cert");
  const keyFile = one("http-key");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError(`rendezvous: ${where("http-cert")} and ${where("http-key")} go together`);
  }
  const address = one("http");
  if (address === undefined && certFile !== undefined) {
    throw new UsageError(`rendezvous: ${where("http-cert")} needs ${where("http")}`);
  }
  return address === undefined ? undefined : {
    ...parseHttpAddress(address, where("http")),
    ...(certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : {}),
  };
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
