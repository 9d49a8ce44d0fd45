/**
 * The chat REPL's commands as data: one registry of slash commands (name, aliases, usage, a pure
 * parser and a handler). It tokenises each line once, finds the command, builds /help and answers
 * completions; core, room and file commands each register their own entries.
 */
import type { Peer } from "../../peer/peer.ts";
import type { Rooms } from "../../peer/rooms/rooms.ts";
import type { FileTransfers } from "../../peer/files/file_transfers.ts";
import type { Style } from "./format.ts";
import type { Completion } from "./line_editor.ts";

/** What running a file command uses of FileTransfers (tests pass a fake). */
export type ReplFiles = Pick<
  FileTransfers,
  "offer" | "accept" | "reject" | "cancel" | "list" | "pending"
>;

/** What the REPL uses of a peer (tests pass a fake). */
export type ChatPeer = Pick<
  Peer,
  | "username"
  | "on"
  | "online"
  | "follow"
  | "listOnline"
  | "setAway"
  | "contacts"
  | "send"
  | "safetyNumber"
  | "sessionProtocol"
  | "markVerified"
  | "pendingKey"
  | "trust"
  | "heldMessages"
  | "resendHeld"
  | "discardHeld"
  | "whois"
  | "history"
  | "route"
  | "home"
  | "servers"
  | "listOnlineAt"
  | "pendingServerKey"
  | "trustServer"
>;

/** One input line after its command word, tokenised once for every command. */
export interface ReplInput {
  /** The words after the command word. */
  readonly args: readonly string[];
  /** The line without its first `n` words (the command word is the first), own spacing kept. */
  rest(n: number): string;
}

/** What parsing needs to know: who we are and who plain text goes to (a user or a #room). */
export interface ReplContext {
  readonly self: string;
  readonly target?: string | undefined;
  /** Our home rendezvous's name, when known: `bob@<home>` is typed for `bob`. */
  readonly home?: string | undefined;
}

/** A one-line hint for input that cannot be run. */
export interface ReplUsage {
  readonly kind: "usage";
  readonly message: string;
}

/** What a command's handler may use: the peer, the features, and the REPL itself. */
export interface ReplRuntime {
  readonly peer: ChatPeer;
  readonly rooms: Rooms | undefined;
  readonly files: ReplFiles | undefined;
  readonly style: Style;
  /** Shows `text` (one or more lines) above the prompt. */
  print(text: string): void;
  /** The current conversation (a user or a #room), if any. */
  readonly target: string | undefined;
  /** Makes `target` (a user, or a #room) the current conversation. */
  setTarget(target: string): void;
  /**
   * Tells the REPL a message was sent (after the peer took it): it shows your line and matches
   * the receipts of `ids` to it. `to` is the user or #room.
   */
  sent(to: string, text: string, ids: readonly string[]): void;
  /** Tells the REPL a send is starting (receipts may come before its ids). */
  sending(): void;
  /** The send started last failed. */
  sendFailed(): void;
  /** Forgets a conversation (a room left): it stops being the target. */
  forget(target: string): void;
  /** The window list: conversations by number. */
  windows(): readonly string[];
  /** Mutes or unmutes `target`'s notifications; true when now muted. */
  toggleMute(target: string): boolean;
  /** Clears the screen. */
  clear(): void;
  /** Unread messages in `conversation` (a user or a #room). */
  unread(conversation: string): number;
  /** Whether `user` is online or known to the chat (a contact, in history, seen in events). */
  knows(user: string): boolean;
  /** Ends the REPL. */
  quit(): void;
  /** The /help lines of this REPL. */
  help(): readonly string[];
}

/**
 * What a command's argument names, for Tab: a user, a #room, either, a file transfer id, or a
 * federated server.
 */
export type ArgKind = "user" | "room" | "target" | "file" | "server";

/** The names Tab completes arguments from. */
export interface CompletionNames {
  /** Users online, and those the chat has seen (contacts, history). */
  readonly users: readonly string[];
  readonly rooms: readonly string[];
  /** Short ids of file transfers. */
  readonly files: readonly string[];
  /** Our home and the nodes it federates with (/servers). */
  readonly servers?: readonly string[];
}

/** One slash command. */
export interface ReplEntry<C = unknown> {
  /** Typed after "/", lower case. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** How it is typed: "/msg <user> <text>". */
  readonly usage: string;
  /** What it does, for /help. */
  readonly summary: string;
  /** What its first arguments name, for Tab completion (none: nothing to complete). */
  readonly args?: readonly ArgKind[];
  /**
   * Parses the words after the command: pure. Undefined when these arguments belong to another
   * entry of the same name (`/to #room` is the room entry's, `/to <user>` the core one's).
   */
  parse(input: ReplInput, ctx: ReplContext): C | ReplUsage | undefined;
  /**
   * Runs what `parse` returned.
   * @throws the peer's errors when it cannot be done (the REPL prints them).
   */
  run(command: C, repl: ReplRuntime): Promise<void> | void;
}

/** What one input line asks for. */
export type ReplParse =
  | { readonly kind: "none" }
  | (ReplUsage & { readonly entry?: ReplEntry })
  | { readonly kind: "command"; readonly entry: ReplEntry; readonly command: unknown };

/** A usage hint for `usage`, after what was wrong (`why`). */
export function usageHint(usage: string, why?: string): ReplUsage {
  return { kind: "usage", message: `${why ? `${why}. ` : ""}Usage: ${usage}` };
}

/** The spec of an entry whose parser is given its own usage hint (`usage(why?)`). */
export interface EntrySpec<C> extends Omit<ReplEntry<C>, "parse" | "aliases"> {
  readonly aliases?: readonly string[];
  parse(
    input: ReplInput,
    ctx: ReplContext,
    usage: (why?: string) => ReplUsage,
  ): C | ReplUsage | undefined;
}

/** An entry from `spec`, its parser given the hint for its usage. */
export function defineEntry<C>(spec: EntrySpec<C>): ReplEntry<C> {
  const { parse, aliases = [], ...rest } = spec;
  return {
    ...rest,
    aliases,
    parse: (input, ctx) => parse(input, ctx, (why) => usageHint(spec.usage, why)),
  };
}

/** Width of the usage column of /help. */
const USAGE_COLUMN = 26;

/** The input for the words of `text` (a line without its "/"). */
function tokenise(text: string): { word: string; input: ReplInput } {
  const [word = "", ...args] = text.trim().split(/\s+/);
  return {
    word: word.toLowerCase(),
    input: {
      args,
      rest(n) {
        let rest = text;
        for (let i = 0; i < n; i++) rest = rest.replace(/^\s*\S+/, "");
        return rest.replace(/^\s/, "");
      },
    },
  };
}

/** The slash commands of one REPL. */
export class ReplRegistry {
  readonly #entries: readonly ReplEntry[];
  readonly #byWord = new Map<string, ReplEntry[]>();

  /** A registry of `entries`, in /help order; entries may share a name (see ReplEntry.parse). */
  constructor(entries: readonly ReplEntry[]) {
    this.#entries = entries;
    for (const entry of entries) {
      for (const word of [entry.name, ...entry.aliases]) {
        const list = this.#byWord.get(word) ?? [];
        list.push(entry);
        this.#byWord.set(word, list);
      }
    }
  }

  /** The /help lines: every command with its usage, summary and aliases. */
  help(): string[] {
    return [
      "Commands:",
      ...this.#entries.map((e) => {
        const aliases = e.aliases.map((a) => `/${a}`).join(", ");
        const also = aliases === "" ? "" : ` (also ${aliases})`;
        return `  ${e.usage.padEnd(USAGE_COLUMN - 1)} ${e.summary}${also}`;
      }),
      "Anything else is sent to the conversation chosen with /to " +
      "(start with // to send a leading /).",
    ];
  }

  /**
   * The commands (with their "/") that complete `prefix`, sorted: names and aliases. Empty unless
   * `prefix` is a "/" and the start of one word.
   */
  completions(prefix: string): string[] {
    if (!prefix.startsWith("/") || prefix.startsWith("//") || /\s/.test(prefix)) return [];
    const start = prefix.slice(1).toLowerCase();
    return [...this.#byWord.keys()].filter((w) => w.startsWith(start)).sort().map((w) => `/${w}`);
  }

  /**
   * Completions for `before` (the input up to the cursor): command names after a "/" at the
   * start, else the word's argument kind as the command's entries declare it (users, #rooms or
   * file ids); in plain text, user names.
   */
  complete(before: string, names: CompletionNames): Completion {
    const start = before.search(/\S*$/);
    const word = before.slice(start);
    const head = before.slice(0, start);
    if (head.trim() === "") {
      if (word.startsWith("/")) return { start, candidates: this.completions(word) };
      return { start, candidates: matching(word, [...names.users, ...names.rooms]) };
    }
    if (!head.startsWith("/") || head.startsWith("//")) {
      return { start, candidates: matching(word, names.users) };
    }
    const words = head.trim().split(/\s+/);
    const position = words.length - 1;
    const kinds = new Set<ArgKind>();
    for (const entry of this.#byWord.get(words[0]!.slice(1).toLowerCase()) ?? []) {
      const kind = entry.args?.[position];
      if (kind !== undefined) kinds.add(kind);
    }
    const pool: string[] = [];
    if (kinds.has("user") || kinds.has("target")) pool.push(...names.users);
    if (kinds.has("room") || kinds.has("target")) pool.push(...names.rooms);
    if (kinds.has("file")) pool.push(...names.files);
    if (kinds.has("server")) pool.push(...names.servers ?? []);
    return { start, candidates: matching(word, pool) };
  }

  /** Parses one line: a /command, or text for the current conversation (as `/msg <target>`). */
  parse(line: string, ctx: ReplContext): ReplParse {
    const trimmed = line.trim();
    if (trimmed === "") return { kind: "none" };
    if (!trimmed.startsWith("/") || trimmed.startsWith("//")) {
      if (ctx.target === undefined) {
        return {
          kind: "usage",
          message: "No recipient: choose one with /to <user>, or use /msg <user> <text>.",
        };
      }
      const text = trimmed.startsWith("//") ? line.trimStart().slice(1) : line;
      return this.#resolve(tokenise(`msg ${ctx.target} ${text}`), ctx);
    }
    return this.#resolve(tokenise(trimmed.slice(1)), ctx);
  }

  /**
   * Runs what `parse` returned on `repl`: a usage hint is printed.
   * @throws what the command's handler throws.
   */
  async run(parsed: ReplParse, repl: ReplRuntime): Promise<void> {
    if (parsed.kind === "usage") return repl.print(repl.style.yellow(parsed.message));
    if (parsed.kind === "command") await parsed.entry.run(parsed.command, repl);
  }

  #resolve({ word, input }: ReturnType<typeof tokenise>, ctx: ReplContext): ReplParse {
    const entries = this.#byWord.get(word);
    if (entries === undefined) {
      const close = word === "" ? [] : this.completions(`/${word.slice(0, 2)}`).slice(0, 3);
      const hint = close.length === 0 ? "" : ` Did you mean ${close.join(" or ")}?`;
      return {
        kind: "usage",
        message: `Unknown command /${word}. Type /help for the commands.${hint}`,
      };
    }
    for (const entry of entries) {
      const command = entry.parse(input, ctx);
      if (command === undefined) continue;
      if (isUsage(command)) return { ...command, entry };
      return { kind: "command", entry, command };
    }
    return { ...usageHint(entries[0]!.usage), entry: entries[0]! };
  }
}

/** The distinct `pool` names that start with `word` (case-insensitively), sorted. */
function matching(word: string, pool: readonly string[]): string[] {
  const start = word.toLowerCase();
  return [...new Set(pool)].filter((n) => n.toLowerCase().startsWith(start)).sort();
}

function isUsage(value: unknown): value is ReplUsage {
  return typeof value === "object" && value !== null && "kind" in value &&
    value.kind === "usage";
}
