/** The chat's /route command: how messages to a user go right now, and why (route_report.ts). */
import { checkUserName } from "../peer_args.ts";
import { UsageError } from "../../errors.ts";
import { defineEntry, type ReplEntry } from "./registry.ts";

/** What /route asks for. */
export interface RouteCommand {
  readonly user: string;
}

/** /route <user>; without a user, the current conversation's. */
export const ROUTE_COMMANDS: readonly ReplEntry<RouteCommand>[] = [
  defineEntry<RouteCommand>({
    name: "route",
    usage: "/route <user>",
    summary: "how messages to a user go now: direct, relayed or queued",
    parse({ args }, ctx, usage) {
      const user = args[0] ?? (ctx.target?.startsWith("#") ? undefined : ctx.target);
      if (user === undefined || args.length > 1) return usage();
      try {
        return { user: checkUserName("route", user) };
      } catch (err: unknown) {
        if (err instanceof UsageError) return usage(err.message);
        throw err;
      }
    },
    async run({ user }, repl) {
      const route = await repl.peer.route(user);
      repl.print(route.lines.join("\n"));
    },
  }),
];
