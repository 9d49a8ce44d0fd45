/**
 * Where an address can be reached from, and which of our addresses to announce to whom: never
 * loopback to anyone but loopback, and private (RFC 1918, ULA fd00::/8) only to a private
 * audience — a rendezvous on a LAN, not one on the internet, where a private address is at best
 * useless and at worst someone else's host.
 */
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";

/** How far an address reaches: this host, its LAN, or the internet. */
export type AddressScope = "loopback" | "private" | "public";

/** The multiaddr code of /p2p-circuit. */
const CIRCUIT_CODE = 290;

/** Whether `address` goes through a relay (contains /p2p-circuit). */
export function isRelayed(address: Multiaddr): boolean {
  return address.getComponents().some((c) => c.code === CIRCUIT_CODE);
}

/**
 * The scope of the first IP in `address` (of the relay, for a relayed address). DNS names count
 * as public; link-local addresses (useless without an interface) as undefined.
 */
export function scopeOf(address: Multiaddr): AddressScope | undefined {
  const ip = address.getComponents().find((c) => c.name === "ip4" || c.name === "ip6");
  if (ip?.value === undefined) return "public";
  return ip.name === "ip4" ? scope4(ip.value) : scope6(ip.value.toLowerCase());
}

function scope4(ip: string): AddressScope | undefined {
  const [a = 0, b = 0] = ip.split(".").map(Number);
  if (a === 127) return "loopback";
  if (a === 169 && b === 254) return undefined;
  if (a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b < 128) return "private"; // carrier-grade NAT
  if (a === 0) return undefined;
  return "public";
}

function scope6(ip: string): AddressScope | undefined {
  if (ip === "::1") return "loopback";
  if (ip === "::") return undefined;
  if (ip.startsWith("::ffff:")) return scope4(ip.slice(7));
  if (/^fe[89ab]/.test(ip)) return undefined;
  if (/^f[cd]/.test(ip)) return "private";
  return "public";
}

/** Scopes each audience may be told about. */
const VISIBLE: Readonly<Record<AddressScope, readonly AddressScope[]>> = {
  loopback: ["loopback", "private", "public"],
  private: ["private", "public"],
  public: ["public"],
};

/**
 * The addresses of `ours` worth announcing to peers that reach us through a rendezvous at
 * `audience`, without duplicates, in their order.
 */
export function announceable(
  ours: readonly Multiaddr[],
  audience: Multiaddr | string,
): Multiaddr[] {
  const scope = scopeOf(typeof audience === "string" ? multiaddr(audience) : audience) ??
    "public";
  const seen = new Set<string>();
  return ours.filter((address) => {
    const s = scopeOf(address);
    const key = address.toString();
    if (s === undefined || !VISIBLE[scope].includes(s) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
