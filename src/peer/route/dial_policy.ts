/**
 * The dial-order policy (pure): from a contact's announced addresses, the paths to try in order —
 * direct, then relayed — each with its timeout; after them the message goes to the mailbox.
 *
 * Timeouts (measured in the namespace lab, tests/integration/connectivity_lab_test.ts): a direct
 * TCP + Noise + Yamux dial across the lab's internet completes in tens of milliseconds, and a
 * relayed one (an existing connection to the relay, HOP + STOP) in about 50 ms; a dead public
 * address (a firewall that drops) never answers. 1.5 s for direct paths leaves a wide margin on a
 * slow link without letting a first message wait long on a dead path; loopback addresses fail at
 * once when nothing listens, so only load can slow them and they keep the full DIAL_TIMEOUT_MS.
 */
import type { Multiaddr } from "@multiformats/multiaddr";
import { isRelayed, scopeOf } from "../../net/address_scope.ts";
import { DIAL_TIMEOUT_MS } from "../../net/dial.ts";

/** How long a direct dial may take before the relay is tried. */
export const DIRECT_TIMEOUT_MS = 1_500;
/** How long a relayed dial may take before the message goes to the mailbox. */
export const RELAYED_TIMEOUT_MS = 4_000;

/** How a path is carried. */
export type PathKind = "direct" | "relayed";

/** One step of the plan: dial these addresses (one peer's), within `timeoutMs`. */
export interface DialStep {
  readonly kind: PathKind;
  readonly addresses: readonly Multiaddr[];
  readonly timeoutMs: number;
}

/**
 * The steps to reach `peer` at `addresses` (from its signed peer record): its direct addresses
 * first, then its relayed ones; an empty kind is left out. Every address ends in /p2p/`peer`,
 * so a dial cannot reach another node listening there.
 */
export function planDial(addresses: readonly Multiaddr[], peer: string): DialStep[] {
  const withPeer = addresses
    .filter((a) => scopeOf(a) !== undefined)
    .map((a) => a.getComponents().at(-1)?.name === "p2p" ? a : a.encapsulate(`/p2p/${peer}`))
    .filter((a) => a.getComponents().at(-1)?.value === peer);
  const direct = withPeer.filter((a) => !isRelayed(a));
  const relayed = withPeer.filter(isRelayed);
  const steps: DialStep[] = [];
  if (direct.length > 0) {
    const local = direct.every((a) => scopeOf(a) === "loopback");
    steps.push({
      kind: "direct",
      addresses: direct,
      timeoutMs: local ? DIAL_TIMEOUT_MS : DIRECT_TIMEOUT_MS,
    });
  }
  if (relayed.length > 0) {
    steps.push({ kind: "relayed", addresses: relayed, timeoutMs: RELAYED_TIMEOUT_MS });
  }
  return steps;
}
