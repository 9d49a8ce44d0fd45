/**
 * Qualified names across federated rendezvous nodes: `bob` is a user of the node one is on, its
 * home; `bob@work` is user `bob` homed at the node named `work`. Both parts are case-folded, and
 * `bob@home` typed on `home` is just `bob`. Server names are 1 to 64 of [a-z0-9._-] (a
 * rendezvous's `--name`, folded).
 */
import { normalizeUsername } from "./username.ts";

const SERVER_NAME = /^[a-z0-9._-]{1,64}$/;

/** A user and the node that homes it; `server` is absent for the node one is on. */
export interface QualifiedName {
  readonly username: string;
  readonly server?: string;
}

/**
 * Returns the canonical (case-folded) form of a rendezvous name.
 * @throws RangeError saying which rule the name breaks.
 */
export function normalizeServerName(input: string): string {
  const folded = input.toLowerCase();
  if (SERVER_NAME.test(folded)) return folded;
  throw new RangeError(
    `Invalid server name "${
      printable(input)
    }": use 1 to 64 of letters a-z, digits, ".", "_" and "-"`,
  );
}

/**
 * Parses `bob` or `bob@work` as typed on the node named `home`: case-folded, and `bob@home` is
 * the local `bob` (no server).
 * @throws RangeError when the username or server name breaks its rules, or for more than one "@".
 */
export function parseQualifiedName(input: string, home: string): QualifiedName {
  const at = input.indexOf("@");
  if (at < 0) return { username: normalizeUsername(input) };
  if (input.indexOf("@", at + 1) >= 0) {
    throw new RangeError(`Invalid name "${printable(input)}": use user or user@server`);
  }
  const username = normalizeUsername(input.slice(0, at));
  const server = normalizeServerName(input.slice(at + 1));
  return server === normalizeServerName(home) ? { username } : { username, server };
}

/** Formats `name` as shown on the node named `home`: `bob` when local, else `bob@work`. */
export function formatQualifiedName(name: QualifiedName, home: string): string {
  const server = name.server;
  return server === undefined || server === normalizeServerName(home)
    ? name.username
    : `${name.username}@${server}`;
}

function printable(input: string): string {
  // deno-lint-ignore no-control-regex
  return input.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, "?");
}
