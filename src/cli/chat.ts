/** `tincan chat`: the interactive peer. It is built in the next issue; until then it says so. */
import { type CliIO, EXIT } from "./io.ts";
import { parseFlags } from "./parse.ts";

export const CHAT_HELP = `Usage: tincan chat --user NAME [--rendezvous MULTIADDR]

The interactive chat peer. Not available yet in this version: run a rendezvous with
\`tincan rendezvous\` in the meantime.`;

/** Prints that the peer is not built yet; exits 1 (0 for --help). */
export function runChat(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseFlags("chat", args, {
    user: { type: "string" },
    rendezvous: { type: "string" },
  });
  if (values.help) {
    io.out(CHAT_HELP);
    return Promise.resolve(EXIT.ok);
  }
  io.err("tincan: the chat peer is not available yet in this version; see `tincan chat --help`");
  return Promise.resolve(EXIT.failure);
}
