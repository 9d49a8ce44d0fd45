/**
 * The chat's presence commands: /list (everyone online, a page at a time, from the rendezvous;
 * /list SERVER: who is online at a federated server),
 * /away [text] (set or clear your away text, shown to those who follow you) and /contacts (the
 * people you talked to, online or not, with away text, trust state and unread count).
 */
import type { ContactListing } from "../../peer/peer.ts";
import { MAX_AWAY_CHARS } from "../../protocol/limits.ts";
import { normalizeServerName } from "../../protocol/qualified_name.ts";
import { sanitize, type Style } from "./format.ts";
import { defineEntry, type ReplEntry, type ReplRuntime } from "./registry.ts";

/** Users one /list page shows. */
export const LIST_PAGE = 50;

/** What a presence command asks for. */
export type PresenceCommand =
  | { readonly kind: "list"; readonly more: boolean; readonly server?: string }
  | { readonly kind: "away"; readonly text: string }
  | { readonly kind: "contacts" };

/** A user as /list shows it: "bob", or "bob (away: gone fishing)". */
export function onlineName(user: { username: string; away: string }): string {
  return user.away ? `${user.username} (away: ${sanitize(user.away)})` : user.username;
}

/** The /contacts lines: one per contact, with its state; pure. */
export function contactLines(
  contacts: readonly ContactListing[],
  unread: (name: string) => number,
  s: Style,
): string[] {
  if (contacts.length === 0) return ["No contacts yet: /msg someone to start."];
  const width = Math.max(...contacts.map((c) => c.username.length));
  return [
    `Contacts (${contacts.length}):`,
    ...contacts.map((c) => {
      const presence = c.online === undefined
        ? s.dim("presence unknown")
        : c.online
        ? s.green("online")
        : s.dim("offline");
      const parts = [presence];
      if (c.away) parts[0] = `${presence}, ${s.yellow(`away: ${sanitize(c.away)}`)}`;
      parts.push(
        c.trust === "verified"
          ? s.green("verified")
          : c.trust === "key-changed"
          ? s.red("key changed: /trust")
          : "not verified",
      );
      const n = unread(c.username);
      if (n > 0) parts.push(s.bold(`${n} unread`));
      return `  ${c.username.padEnd(width)}  ${parts.join(" · ")}`;
    }),
  ];
}

/** The presence commands of one REPL (each REPL keeps its own /list position). */
export function presenceCommands(): ReplEntry<PresenceCommand>[] {
  let nextPage: string | undefined;
  const list = async (more: boolean, repl: ReplRuntime) => {
    if (more && nextPage === undefined) return repl.print("No more: /list starts again.");
    const page = await repl.peer.listOnline(more ? nextPage : undefined, LIST_PAGE);
    nextPage = page.next;
    const others = page.users.filter((u) => u.username !== repl.peer.username);
    const lines = others.length
      ? [`Online: ${others.map(onlineName).join(", ")}`]
      : [more ? "No one else on this page." : "Nobody else is online."];
    if (page.next !== undefined) lines.push(repl.style.dim("… more online: /list more"));
    repl.print(lines.join("\n"));
  };
  return [
    defineEntry<PresenceCommand>({
      name: "list",
      aliases: ["who"],
      usage: "/list [more|server]",
      summary:
        "who is online (a page at a time; /list more for the next; or at a federated server)",
      args: ["server"],
      parse({ args }, _ctx, usage) {
        if (args.length === 0) return { kind: "list", more: false };
        if (args.length > 1) return usage();
        if (args[0] === "more") return { kind: "list", more: true };
        try {
          return { kind: "list", more: false, server: normalizeServerName(args[0]!) };
        } catch (err: unknown) {
          return usage((err as Error).message);
        }
      },
      run: (command, repl) => runPresence(command, repl, list),
    }),
    defineEntry<PresenceCommand>({
      name: "away",
      usage: "/away [text]",
      summary: `set your away text (at most ${MAX_AWAY_CHARS} characters); alone: you are back`,
      parse: (input) => ({ kind: "away", text: input.rest(1).trim() }),
      run: (command, repl) => runPresence(command, repl, list),
    }),
    defineEntry<PresenceCommand>({
      name: "contacts",
      usage: "/contacts",
      summary: "the people you talked to: online or not, away, verified, unread",
      parse: ({ args }, _ctx, usage) => args.length === 0 ? { kind: "contacts" } : usage(),
      run: (command, repl) => runPresence(command, repl, list),
    }),
  ];
}

async function runPresence(
  command: PresenceCommand,
  repl: ReplRuntime,
  list: (more: boolean, repl: ReplRuntime) => Promise<void>,
): Promise<void> {
  switch (command.kind) {
    case "list":
      if (command.server !== undefined && command.server !== repl.peer.home) {
        return repl.print(await listRemote(repl.peer, command.server));
      }
      return await list(command.more, repl);
    case "away":
      await repl.peer.setAway(command.text);
      return repl.print(
        command.text ? `You are away: ${sanitize(command.text)}` : "You are back (no away text).",
      );
    case "contacts":
      return repl.print(
        contactLines(repl.peer.contacts(), (name) => repl.unread(name), repl.style).join("\n"),
      );
  }
}

/** Most pages of /list <server> (of MAX_ONLINE_PAGE names each) shown at once. */
const MAX_LIST_PAGES = 10;

/**
 * The users online at the federated `server`, page by page, as one text.
 * @throws the peer's errors (unknown server, unreachable …).
 */
async function listRemote(peer: ReplRuntime["peer"], server: string): Promise<string> {
  const names: string[] = [];
  let cursor = "";
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const got = await peer.listOnlineAt(server, cursor);
    names.push(...got.online.map((u) => u.username));
    cursor = got.nextCursor;
    if (cursor === "") break;
  }
  if (names.length === 0) return `Nobody is online at ${server} (or ${server} shows no one).`;
  const more = cursor === "" ? "" : ` … and more`;
  return `Online at ${server}: ${names.join(", ")}${more}`;
}
