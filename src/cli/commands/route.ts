/** `tincan route`: how messages to a user go right now (direct, relayed or queued), and why. */
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import {
  checkRecipient,
  type Env,
  parsePeerArgs,
  PEER_FLAGS,
  PEER_FLAGS_HELP,
  type PeerArgs,
} from "../peer_args.ts";
import { parseFlags } from "../parse.ts";
import { recipientAtHome, startCliPeer } from "../start_peer.ts";

/** `tincan route --help`. */
export const ROUTE_HELP =
  `Usage: tincan route --user NAME --to USER [--json] [--rendezvous MULTIADDR]

Logs in and says how messages to USER go right now, and why better paths failed:
  bob: direct over TCP to /ip6/2001:db8::7/tcp/40123/p2p/12D3…
  bob: relayed via home (/ip6/…/p2p/<relay>/p2p-circuit/p2p/12D3…)
    direct: dial timed out after 1.5 s; relayed via home: ok, 48 ms
  bob: queued in bob's mailbox at the rendezvous (bob is offline)
Paths are tried in this order: direct, relayed through the rendezvous, then the mailbox.

Options:
  --to USER               the user
  --json                  one JSON object: {"user","carrier":"direct"|"relayed"|"queued",
                          "address"|"why","attempts":[{"kind","ok","ms","address"|"why"}]}
${PEER_FLAGS_HELP}`;

/** Whose route `tincan route` reports, and how. */
export type RouteOptions = { readonly to: string; readonly json: boolean } & PeerArgs;

/**
 * Parses the arguments of `tincan route`.
 * @throws UsageError for unknown flags, a missing or bad --user or --to, or --to yourself.
 */
export function parseRouteArgs(args: readonly string[], env: Env): Parsed<RouteOptions> {
  const { values } = parseFlags("route", args, {
    ...PEER_FLAGS,
    to: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return { help: true };
  const peer = parsePeerArgs("route", values, env);
  const to = checkRecipient("route", values.to, peer.user, "a route");
  return { help: false, ...peer, to, json: values.json ?? false };
}

/** How long to wait for presence to say whether the user is online (it follows the login). */
const PRESENCE_WAIT_MS = 2_000;

/** `tincan route`: prints the route to one user. */
export const route: Command<RouteOptions> = {
  name: "route",
  summary: "how messages to a user go now: direct, relayed or queued",
  help: ROUTE_HELP,
  parse: parseRouteArgs,
  async run(given, { io, env }) {
    const started = await startCliPeer(given, { register: false, env, io });
    const to = await recipientAtHome(started, "route", given.to, given.user, "a route");
    const args = { ...given, to };
    try {
      const { peer } = started;
      await peer.follow([args.to]); // known online or not once it resolves
      const until = Date.now() + PRESENCE_WAIT_MS;
      while (!peer.online().includes(args.to) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { lines, ...report } = await peer.route(args.to);
      if (args.json) io.out(JSON.stringify(report));
      else lines.forEach((line) => io.out(line));
    } finally {
      await started.stop();
    }
    return EXIT.ok;
  },
};
