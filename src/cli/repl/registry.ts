/**
 * The chat REPL's commands as data: one registry of slash commands (name, aliases, usage, a pure
 * parser and a handler). It tokenises each line once, finds the command, builds /help and answers
 * completions; core, room and file commands each register their own entries.
 */
import type { Peer } from "../../peer/peer.ts";
import type { Rooms } from "../../peer/rooms/rooms.ts";
import type { ReplFiles } from "./file_commands.ts";
import type { Style } from "./format.ts";

/** What the REPL uses of a peer (tests pass a fake). */
export type ChatPeer = Pick<
  Peer,
  | "username"
  | "on"
  | "online"
  | "send"
  | "safetyNumber"
  | "markVerified"
  | "trust"
  | "history"
  | "route"
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
  /** Makes `target` (a user, or a #room) the current conversation. */
  setTarget(target: string): void;
  /** Ends the REPL. */
  quit(): void;
  /** The /help lines of this REPL. */
  help(): readonly string[];
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

function isUsage(value: unknown): value is ReplUsage {
  return typeof value === "object" && value !== null && "kind" in value &&
    value.kind === "usage";
}
