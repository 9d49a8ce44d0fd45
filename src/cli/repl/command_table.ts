/**
 * The chat's table of slash commands: the core ones and those of the features a chat has (rooms,
 * files), in one ReplRegistry that drives parsing, /help and Tab completion; and the help lines.
 */
import { CORE_COMMANDS } from "./commands.ts";
import { FEDERATION_COMMANDS } from "./federation_commands.ts";
import { FILE_COMMANDS } from "./file_commands.ts";
import { presenceCommands } from "./presence_commands.ts";
import { type ReplEntry, ReplRegistry } from "./registry.ts";
import { ROOM_COMMANDS } from "./room_commands.ts";
import { ROUTE_COMMANDS } from "./route_commands.ts";
import { TRUST_COMMANDS } from "./trust_commands.ts";

/** The REPL's command registry: the core commands, and those of the features it has. */
export function replRegistry(features: { rooms: boolean; files: boolean }): ReplRegistry {
  const entries: ReplEntry[] = [
    ...CORE_COMMANDS,
    ...presenceCommands(),
    ...TRUST_COMMANDS,
    ...ROUTE_COMMANDS,
    ...FEDERATION_COMMANDS,
  ];
  if (features.rooms) entries.push(...ROOM_COMMANDS);
  if (features.files) entries.push(...FILE_COMMANDS);
  return new ReplRegistry(entries);
}

/** The /help of the full chat (every feature), for `tincan chat --help`. */
export const REPL_HELP: readonly string[] = replRegistry({ rooms: true, files: true }).help();

/** The keys of the chat's line editor, for /help and `tincan chat --help`. */
export const REPL_KEYS: readonly string[] = [
  "Keys (in a terminal):",
  "  Enter send · Alt-Enter new line · ↑/↓ input history (kept across restarts) · Tab complete",
  "  Alt-1…9 switch conversation · Ctrl-A/E start/end · Ctrl-W/U/K delete word/to start/to end",
  "  Ctrl-L clear · Ctrl-C or Ctrl-D (empty line) quit (Ctrl-C twice while a file moves)",
];
