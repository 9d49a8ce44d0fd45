/**
 * The embedded default rendezvous: when `tincan chat` is pointed at the local default address
 * and nothing listens there, it runs a rendezvous in-process so two chats on one machine just
 * work. It lives as long as the chat that started it; then another chat takes it over.
 */
import { join } from "node:path";
import { dataHome, dataHomeHint } from "../peer/data_home.ts";
import { DEFAULT_RENDEZVOUS } from "../peer/rendezvous_link.ts";
import { type Rendezvous, startRendezvous } from "../rendezvous/server.ts";
import type { Env } from "../cli/peer_args.ts";

const HOST = "127.0.0.1";
const PORT = 4001;

/**
 * Where the embedded rendezvous keeps its key and database: <data home>/tincan/rendezvous
 * ($XDG_DATA_HOME, on Windows %LOCALAPPDATA%, else ~/.local/share: data_home.ts).
 * @throws TypeError when the environment names no data home.
 */
export function embeddedRendezvousDir(env: Env, os: string = Deno.build.os): string {
  const home = dataHome(env, os);
  if (home === undefined) {
    throw new TypeError(`Cannot find a place for the local rendezvous: ${dataHomeHint(os)}`);
  }
  return join(home, "tincan", "rendezvous");
}

/** Whether something accepts TCP connections at HOST:PORT (false only when refused). */
async function somethingListens(): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: HOST, port: PORT });
    conn.close();
    return true;
  } catch (err: unknown) {
    if (err instanceof Deno.errors.ConnectionRefused) return false;
    return true;
  }
}

/** True for "address already in use", however the TCP transport words it. */
function addressInUse(err: unknown): boolean {
  if (err instanceof Deno.errors.AddrInUse) return true;
  const text = `${(err as Error)?.message} ${(err as { code?: string })?.code}`;
  return /EADDRINUSE|address already in use|AddrInUse/i.test(text);
}

/**
 * Starts the embedded rendezvous when `address` is the local default and no one listens there;
 * returns it (the caller stops it), or undefined when not needed or another process won the race.
 * `say` tells the user (stderr).
 */
export async function startEmbeddedRendezvous(
  address: string,
  env: Env,
  say: (line: string) => void,
): Promise<Rendezvous | undefined> {
  if (address !== DEFAULT_RENDEZVOUS || await somethingListens()) return undefined;
  const dataDir = embeddedRendezvousDir(env);
  try {
    const rendezvous = await startRendezvous({
      dataDir,
      listen: [DEFAULT_RENDEZVOUS],
      name: "local",
    });
    say(
      `tincan: no rendezvous at ${address}; started one in this process (data in ${dataDir}). ` +
        `Another chat takes it over when this one exits.`,
    );
    return rendezvous;
  } catch (err: unknown) {
    if (addressInUse(err)) return undefined;
    throw err;
  }
}
