/**
 * The route report (pure): how messages to a user go right now — direct (which address, which
 * transport), relayed (via which relay), or queued in the mailbox — and why the better paths
 * failed, as shown by `/route` and `tincan route`.
 */
import type { PathKind } from "./dial_policy.ts";

/** One dial attempt of a path. */
export type Attempt =
  | { readonly kind: PathKind; readonly ok: true; readonly ms: number; readonly address: string }
  | { readonly kind: PathKind; readonly ok: false; readonly ms: number; readonly why: string };

/** How messages to a user go now. */
export type RouteReport =
  & {
    readonly user: string;
    /** The attempts that led here (empty when a connection was already open). */
    readonly attempts: readonly Attempt[];
  }
  & (
    | { readonly carrier: "direct"; readonly address: string }
    | { readonly carrier: "relayed"; readonly address: string }
    | { readonly carrier: "queued"; readonly why: string }
  );

/** The multiaddr code names of the transports tincan can use, in the words shown to users. */
const TRANSPORTS: readonly [string, string][] = [
  ["/webrtc", "WebRTC"],
  ["/wss", "secure WebSockets"],
  ["/ws", "WebSockets"],
  ["/quic", "QUIC"],
  ["/tcp/", "TCP"],
];

/** The transport of a direct `address` ("TCP" …). */
export function transportOf(address: string): string {
  return TRANSPORTS.find(([code]) => address.includes(code))?.[1] ?? "an unknown transport";
}

/** The relay's PeerId in a relayed `address` (the /p2p/ before /p2p-circuit), if any. */
export function relayOf(address: string): string | undefined {
  const at = address.indexOf("/p2p-circuit");
  return at < 0 ? undefined : /\/p2p\/([^/]+)$/.exec(address.slice(0, at))?.[1];
}

/** The rendezvous name in an identify agent "tincan/0.1.0 rendezvous home", if it is one. */
export function rendezvousName(agent: string | undefined): string | undefined {
  return agent === undefined ? undefined : /^tincan\/\S+ rendezvous (\S+)$/.exec(agent)?.[1];
}

/** Seconds or milliseconds, as people read them: "12 ms", "1.5 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * The attempts in one line: "direct: dial timed out after 1.5 s; relayed via home: ok, 12 ms".
 * `relayName` names a relay by its PeerId (the rendezvous name when known).
 */
export function formatAttempts(
  attempts: readonly Attempt[],
  relayName: (peerId: string) => string,
): string {
  return attempts.map((a) => {
    const label = a.kind === "relayed" && a.ok
      ? `relayed via ${relayName(relayOf(a.address) ?? "?")}`
      : a.kind;
    return a.ok ? `${label}: ok, ${duration(a.ms)}` : `${label}: ${a.why}`;
  }).join("; ");
}

/** The report as lines: the route, then why (when anything was tried). */
export function formatRoute(report: RouteReport, relayName: (peerId: string) => string): string[] {
  let head: string;
  switch (report.carrier) {
    case "direct":
      head = `${report.user}: direct over ${transportOf(report.address)} to ${report.address}`;
      break;
    case "relayed": {
      const relay = relayOf(report.address);
      head = `${report.user}: relayed via ${relay === undefined ? "a relay" : relayName(relay)}` +
        ` (${report.address})`;
      break;
    }
    case "queued":
      head = `${report.user}: queued in ${report.user}'s mailbox at the rendezvous (${report.why})`;
  }
  const tried = formatAttempts(report.attempts, relayName);
  return tried === "" ? [head] : [head, `  ${tried}`];
}

/** Why a dial of `kind` failed after `ms`, in the report's words. */
export function failureWhy(err: unknown, timedOut: boolean, ms: number): string {
  if (timedOut) return `dial timed out after ${duration(ms)}`;
  const message = err instanceof Error ? err.message : String(err);
  return `failed after ${duration(ms)}: ${message.split("\n")[0]}`;
}
