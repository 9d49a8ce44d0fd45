/**
 * The chat REPL's federation commands: /servers lists the nodes our home federates with and their
 * link state; /trust-server accepts a federated server's changed key, bound to the fingerprint
 * shown when it changed (like /trust for a contact's key).
 */
import type { FederatedServer } from "../../proto/services.ts";
import { normalizeServerName } from "../../protocol/qualified_name.ts";
import { sanitize } from "./format.ts";
import { defineEntry, type ReplEntry } from "./registry.ts";

/** What one federation command line asks for. */
export type FederationCommand =
  | { readonly kind: "servers" }
  | { readonly kind: "trust-server"; readonly server: string; readonly fingerprint?: string };

const STATES: Record<FederatedServer.LinkState, string> = {
  UP: "up",
  DOWN: "down",
  CONNECTING: "connecting",
};

/** /servers, /trust-server <server> [fingerprint]. */
export const FEDERATION_COMMANDS: readonly ReplEntry<FederationCommand>[] = [
  defineEntry<FederationCommand>({
    name: "servers",
    usage: "/servers",
    summary: "the servers your rendezvous federates with, and their links",
    parse: ({ args }, _ctx, usage) => args.length === 0 ? { kind: "servers" } : usage(),
    async run(_command, repl) {
      const { home, servers } = await repl.peer.servers();
      if (servers.length === 0) {
        return repl.print(`${home} federates with no other server: only local users here.`);
      }
      const lines = servers.map((s) => {
        const state = STATES[s.state];
        const error = s.lastError === "" ? "" : ` (${sanitize(s.lastError)})`;
        const queued = s.queuedMail > 0 ? `, ${s.queuedMail} mail waiting for it` : "";
        return `  ${sanitize(s.name)}  ${state}${error}${queued}`;
      });
      repl.print([`${home} federates with:`, ...lines].join("\n"));
    },
  }),
  defineEntry<FederationCommand>({
    name: "trust-server",
    usage: "/trust-server <server> [fingerprint]",
    summary: "trust a federated server's changed key (check it with its operator first)",
    args: ["server"],
    parse({ args }, _ctx, usage) {
      if (args.length < 1 || args.length > 7) return usage();
      try {
        const server = normalizeServerName(args[0]!);
        const typed = args.slice(1).join(" ");
        return { kind: "trust-server", server, ...(typed === "" ? {} : { fingerprint: typed }) };
      } catch (err: unknown) {
        return usage((err as Error).message);
      }
    },
    run(command, repl) {
      if (command.kind !== "trust-server") return;
      const { server } = command;
      const pending = repl.peer.pendingServerKey(server);
      if (pending === undefined) return repl.print(`The key of ${server} has not changed.`);
      if (command.fingerprint === undefined) {
        return repl.print(
          `${server}'s new key: ${pending}. Compare it with ${server}'s operator, then ` +
            `/trust-server ${server} ${pending}`,
        );
      }
      repl.print(
        repl.peer.trustServer(server, command.fingerprint)
          ? `Trusted ${server}'s new key.`
          : repl.style.yellow(`That is not ${server}'s new key (${pending}).`),
      );
    },
  }),
];
