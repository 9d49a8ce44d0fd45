/** `tincan rendezvous` as a child process on loopback, for tests that stop it or kill it. */
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { MAIN, PERMISSIONS } from "./cli_process.ts";

/** A TCP port free on loopback now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running rendezvous process: its first address, and how to stop it. */
export interface RendezvousProcess {
  /** Its process id (to freeze it with SIGSTOP, say). */
  readonly pid: number;
  readonly address: Multiaddr;
  /** Every address line it printed before it was taken as started. */
  readonly addresses: readonly string[];
  /** Sends `signal` and waits for the exit. */
  kill(signal: Deno.Signal): Promise<Deno.CommandStatus>;
  /** What it wrote to stderr, once it exited ("" unless spawned with `stderr`). */
  stderr(): Promise<string>;
}

/**
 * Starts `tincan rendezvous --data dataDir --listen /ip4/127.0.0.1/tcp/<port> --name name` with
 * `extra` arguments (port 0: a free one); resolves once it printed its address. Its stderr is
 * kept for `stderr()` when `options.stderr`, else dropped.
 */
export async function spawnRendezvous(
  dataDir: string,
  port: number,
  name: string,
  extra: readonly string[] = [],
  options: { readonly stderr?: boolean } = {},
): Promise<RendezvousProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      MAIN,
      "rendezvous",
      "--data",
      dataDir,
      "--listen",
      `/ip4/127.0.0.1/tcp/${port}`,
      "--name",
      name,
      ...extra,
    ],
    stdout: "piped",
    stderr: options.stderr ? "piped" : "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const deadline = Date.now() + 30_000;
  while (!buffer.includes("\n")) {
    if (Date.now() > deadline) throw new Error("the rendezvous printed no address within 30 s");
    const { value, done } = await reader.read();
    if (done) throw new Error("the rendezvous exited before printing its address");
    buffer += value;
  }
  const addresses = buffer.split("\n").filter((line) => line !== "");
  const kill = async (signal: Deno.Signal) => {
    child.kill(signal);
    const status = await child.status;
    await reader.cancel().catch(() => {});
    return status;
  };
  const stderr = async () => options.stderr ? await new Response(child.stderr).text() : "";
  return { pid: child.pid, address: multiaddr(addresses[0]!), addresses, kill, stderr };
}
