/**
 * The names a peer shows and keys its contacts, history and outbox by: `bob` for a user of its
 * own rendezvous (its home), `bob@work` for a user homed at the federated node `work`. The home's
 * own name is learned after login (DirectoryRequest SERVERS); `bob@home` typed at `home` is `bob`.
 */
import {
  normalizeServerName,
  parseQualifiedName,
  type QualifiedName,
} from "../protocol/qualified_name.ts";
import { normalizeUsername } from "../protocol/username.ts";

/**
 * Folds and checks `bob` or `bob@work` without knowing the home (the CLI, before the peer runs).
 * @throws RangeError when the username or server name breaks its rules.
 */
export function normalizeName(input: string): string {
  const at = input.indexOf("@");
  if (at < 0) return normalizeUsername(input);
  if (input.indexOf("@", at + 1) >= 0) {
    throw new RangeError(`Invalid name "${input.slice(0, 80)}": use user or user@server`);
  }
  return `${normalizeUsername(input.slice(0, at))}@${normalizeServerName(input.slice(at + 1))}`;
}

/**
 * The stored form of a typed name on the node named `home` (`bob@<home>` is `bob`); when the
 * home is not known, folded and checked only (normalizeName).
 * @throws RangeError when the username or server name breaks its rules.
 */
export function canonicalName(input: string, home: string | undefined): string {
  if (home === undefined) return normalizeName(input);
  const { username, server } = parseQualifiedName(input, home);
  return server === undefined ? username : `${username}@${server}`;
}

/**
 * The username part of a stored name (`bob` of `bob@work`): what the user is called at its home,
 * and what fingerprints and safety numbers bind, so both ends of a chat across nodes compute the
 * same ones.
 */
export function homedUsername(name: string): string {
  const at = name.indexOf("@");
  return at < 0 ? name : name.slice(0, at);
}

/** The home's name, once known, and the conversions between typed, stored and wire names. */
export class HomeName {
  #name: string | undefined;

  /** Records the home's name (as the rendezvous said it). */
  set(name: string): void {
    this.#name = normalizeServerName(name);
  }

  /** The home's (folded) name, or undefined before the rendezvous said it. */
  get name(): string | undefined {
    return this.#name;
  }

  /**
   * The stored form of `input`: `bob`, or `bob@work` for another node's user.
   * @throws RangeError for a bad name, or a remote name while the home's name is unknown.
   */
  canonical(input: string): string {
    if (this.#name !== undefined) return canonicalName(input, this.#name);
    return this.parse(input).username;
  }

  /**
   * `input` as a user and (for another node's) the server that homes it.
   * @throws RangeError as `canonical`.
   */
  parse(input: string): QualifiedName {
    const home = this.#name;
    if (home !== undefined) return parseQualifiedName(input, home);
    const folded = normalizeName(input);
    if (folded.includes("@")) {
      throw new RangeError(
        `Cannot use ${folded}: the rendezvous did not say its name, so federation is unavailable`,
      );
    }
    return { username: folded };
  }

  /**
   * How a local name is seen from other nodes (`alice` → `alice@home`), for `Content.from` of a
   * message to another node's user; other nodes' names are unchanged.
   */
  seenElsewhere(name: string): string {
    const home = this.#name;
    if (home === undefined || name.includes("@")) return name;
    return `${name}@${home}`;
  }

  /** Whether the stored name `name` is another node's user. */
  isRemote(name: string): boolean {
    return name.includes("@");
  }
}
