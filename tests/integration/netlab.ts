/**
 * A network lab made of Linux network namespaces, for tests of what crosses real networks: an
 * "internet" bridge on the IPv6 documentation prefix 3fff::/20 (never routed anywhere; libp2p
 * counts it as public), public hosts on it, and home routers that masquerade (NAT66) a private
 * ULA LAN (fd00::/8) behind their one public address, forwarding only LAN→WAN and the
 * established/related traffic back. Nothing leaves the namespaces: the lab has no route to the
 * machine's own network. Every name carries a random tag, so two runs never collide, and `close`
 * deletes everything the lab made.
 */
import { toHex } from "../../src/crypto/bytes.ts";

/** The public prefix of the lab's internet (a /64 inside 3fff::/20). */
export const WAN_PREFIX = "3fff:7:7:7";

/** A host of the lab: a namespace with one address. */
export interface LabHost {
  /** The namespace's name (for `ip netns exec`). */
  readonly ns: string;
  /** Its IPv6 address (public for hosts on the internet, private behind a router). */
  readonly address: string;
}

/** A running lab. */
export interface NetLab {
  /** Adds a host on the internet with the public address WAN_PREFIX::`n`. */
  publicHost(name: string, n: number): Promise<LabHost>;
  /**
   * Adds a home router (public address WAN_PREFIX::`n`, NAT66 for LAN fd`n`::/64) with one host
   * behind it (fd`n`::2). Returns the host behind it.
   */
  natHost(name: string, n: number): Promise<LabHost & { readonly router: LabHost }>;
  /** The argv that runs `argv` inside `host`'s namespace. */
  exec(host: LabHost, argv: readonly string[]): string[];
  /** Deletes every namespace (and so every link) the lab made. */
  close(): Promise<void>;
}

/** Why namespaces cannot be made here, or undefined when they can (root, `ip` and `nft`). */
export async function netlabUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  const uid = await new Deno.Command("id", { args: ["-u"], stderr: "null" }).output();
  if (new TextDecoder().decode(uid.stdout).trim() !== "0") return "network namespaces need root";
  for (const tool of ["ip", "nft"]) {
    const found = await run(["sh", "-c", `command -v ${tool}`]).then(() => true, () => false);
    if (!found) return `\`${tool}\` is not installed (apt-get install -y iproute2 nftables)`;
  }
  const probe = `tcprobe${randomTag()}`;
  try {
    await run(["ip", "netns", "add", probe]);
  } catch (err: unknown) {
    return `cannot make a network namespace: ${(err as Error).message}`;
  }
  await run(["ip", "netns", "del", probe]);
  return undefined;
}

/**
 * Makes an empty lab: the internet namespace with its bridge.
 * @throws Error naming the command that failed (the lab is then deleted).
 */
export async function createNetLab(): Promise<NetLab> {
  const tag = randomTag();
  const made: string[] = [];
  const inet = `tc${tag}inet`;
  const addNs = async (ns: string) => {
    await run(["ip", "netns", "add", ns]);
    made.push(ns);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    await sysctl(ns, "net.ipv6.conf.all.accept_dad", "0");
    await sysctl(ns, "net.ipv6.conf.default.accept_dad", "0");
  };
  /** A veth pair between two namespaces, `a` side named `aName`, `b` side `bName`. */
  const link = async (a: string, aName: string, b: string, bName: string) => {
    await run(["ip", "-n", a, "link", "add", aName, "type", "veth", "peer", "name", bName]);
    await run(["ip", "-n", a, "link", "set", bName, "netns", b]);
    await run(["ip", "-n", a, "link", "set", aName, "up"]);
    await run(["ip", "-n", b, "link", "set", bName, "up"]);
  };
  const addAddress = (ns: string, dev: string, cidr: string) =>
    run(["ip", "-n", ns, "-6", "addr", "add", cidr, "dev", dev, "nodad"]);
  /** Plugs `ns` into the internet bridge with WAN_PREFIX::`n` on its `wan` device. */
  const plugIn = async (ns: string, n: number) => {
    const port = `p${n}`;
    await link(inet, port, ns, "wan");
    await run(["ip", "-n", inet, "link", "set", port, "master", "br0"]);
    const address = `${WAN_PREFIX}::${n.toString(16)}`;
    await addAddress(ns, "wan", `${address}/64`);
    return address;
  };

  const lab: NetLab = {
    async publicHost(name, n) {
      const ns = `tc${tag}${name}`;
      await addNs(ns);
      return { ns, address: await plugIn(ns, n) };
    },
    async natHost(name, n) {
      const routerNs = `tc${tag}${name}gw`;
      const hostNs = `tc${tag}${name}`;
      await addNs(routerNs);
      await addNs(hostNs);
      const routerAddress = await plugIn(routerNs, n);
      const lan = `fd${n.toString(16)}::`;
      await link(routerNs, "lan", hostNs, "eth0");
      await addAddress(routerNs, "lan", `${lan}1/64`);
      await addAddress(hostNs, "eth0", `${lan}2/64`);
      await run(["ip", "-n", hostNs, "-6", "route", "add", "default", "via", `${lan}1`]);
      await sysctl(routerNs, "net.ipv6.conf.all.forwarding", "1");
      await nft(routerNs, natRules(`${lan}/64`));
      return { ns: hostNs, address: `${lan}2`, router: { ns: routerNs, address: routerAddress } };
    },
    exec(host, argv) {
      return ["ip", "netns", "exec", host.ns, ...argv];
    },
    async close() {
      for (const ns of made.splice(0).reverse()) {
        await run(["ip", "netns", "del", ns]).catch(() => {});
      }
    },
  };
  try {
    await addNs(inet);
    await run(["ip", "-n", inet, "link", "add", "br0", "type", "bridge"]);
    await run(["ip", "-n", inet, "link", "set", "br0", "up"]);
  } catch (err: unknown) {
    await lab.close();
    throw err;
  }
  return lab;
}

/**
 * A home router's rules: masquerade what leaves the WAN side from the LAN, forward LAN→WAN and
 * only established/related traffic back.
 */
export function natRules(lan: string): string {
  return `
table ip6 home {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" ip6 saddr ${lan} accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" ip6 saddr ${lan} masquerade
  }
}
`;
}

function randomTag(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(2)));
}

async function sysctl(ns: string, key: string, value: string): Promise<void> {
  await run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", `${key}=${value}`]);
}

async function nft(ns: string, rules: string): Promise<void> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, "nft", "-f", "-"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(rules));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`nft in ${ns} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Runs a command; @throws Error with its stderr when it fails. */
async function run(argv: readonly string[]): Promise<void> {
  const [cmd, ...args] = argv;
  const out = await new Deno.Command(cmd!, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}
