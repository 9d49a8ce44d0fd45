/**
 * Keeping the embedded local rendezvous alive across chats: the chat that started it runs it;
 * when that chat exits, the others lose the rendezvous, and the first to notice starts it again
 * from the same data — hence the same PeerId, which every peer pinned — so everyone logs in
 * again by themselves. A chat whose data directory holds another identity (another user, another
 * HOME) never takes over: that would be a different rendezvous that no peer trusts. It says so
 * once, and its peer keeps retrying until the owner's chat (or a `tincan rendezvous`) is back.
 */
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { join } from "node:path";
import type { Env } from "../cli/peer_args.ts";
import type { PeerEvent } from "../peer/events.ts";
import type { Rendezvous } from "../rendezvous/server.ts";
import { embeddedRendezvousDir, startEmbeddedRendezvous } from "./local_rendezvous.ts";

/** Attempts, and the pause between them, to take the local rendezvous over. */
const TAKEOVER_ATTEMPTS = 10;
const TAKEOVER_PAUSE_MS = 500;
/** The most of a node key file read. */
const MAX_KEY_BYTES = 4096;

/**
 * The PeerId of the node key kept in `dir`, or undefined when there is none this user can read.
 */
export async function embeddedPeerId(dir: string): Promise<string | undefined> {
  const path = join(dir, "node.key");
  try {
    if ((await Deno.stat(path)).size > MAX_KEY_BYTES) return undefined;
    return peerIdFromPrivateKey(privateKeyFromProtobuf(await Deno.readFile(path))).toString();
  } catch {
    return undefined;
  }
}

/**
 * Whether a chat may start the lost local rendezvous again: only from data holding the very
 * PeerId (`own`) the peers pinned (`pinned`), so it is the same rendezvous. Pure.
 */
export function canTakeOver(own: string | undefined, pinned: string | undefined): boolean {
  return own !== undefined && own === pinned;
}

/** What a chat that may not take the local rendezvous over tells its user. Pure. */
export function refusedTakeover(
  dir: string,
  own: string | undefined,
  pinned: string | undefined,
): string {
  const why = own === undefined
    ? `there is no local rendezvous data of yours in ${dir}`
    : `the data in ${dir} is another rendezvous (${own})`;
  return `tincan: the local rendezvous stopped (the chat that ran it exited). This chat cannot ` +
    `take it over: ${why}, not the one everyone trusts (${pinned ?? "unknown"}). Retrying ` +
    `until it is back (start that chat again, or \`tincan rendezvous\`); a message that cannot ` +
    `get through meanwhile is marked failed and says so.`;
}

/** What the host needs to know and tell. */
export interface LocalHostOptions {
  readonly env: Env;
  /** Tells the user (late-bound: stderr before the REPL runs, the REPL after). */
  readonly say: (line: string) => void;
}

/** The embedded rendezvous a chat may run, started and taken over. */
export class LocalRendezvousHost {
  #running: Rendezvous | undefined;
  /** The rendezvous address the chat uses (only the local default is ever hosted). */
  #address: string | undefined;
  /** The PeerId of the rendezvous this chat started, if it did. */
  #started: string | undefined;
  #takingOver = false;
  #refused = false;
  #stopped = false;

  constructor(private readonly options: LocalHostOptions) {}

  /**
   * Starts the embedded rendezvous when `address`, the chat's, is the local default and nothing listens
   * there (before the chat connects). Returns the full address to dial it by (with /p2p/: it is
   * this process's own, so no pin from an earlier local rendezvous applies), or undefined when
   * this chat runs none.
   * @throws what starting the rendezvous throws, but "address in use".
   */
  async start(address: string): Promise<string | undefined> {
    const { env, say } = this.options;
    this.#address = address;
    this.#running ??= await startEmbeddedRendezvous(address, env, say);
    if (this.#running === undefined) return undefined;
    this.#started = this.#running.node.peerId.toString();
    return `${address}/p2p/${this.#started}`;
  }

  /**
   * Follows `peer`'s events: when the rendezvous is lost, takes it over if the local data holds
   * its PeerId (the one this chat started, else the one `pinned()` names). Returns a function
   * that stops following.
   */
  follow(
    peer: { on(listener: (event: PeerEvent) => void): () => void },
    pinned: () => string | undefined,
  ): () => void {
    return peer.on((event) => {
      if (event.type !== "notice" || event.rendezvous !== "lost") return;
      if (this.#running || this.#takingOver || this.#stopped) return;
      this.#takingOver = true;
      void this.#takeOver(this.#started ?? pinned()).finally(() => this.#takingOver = false);
    });
  }

  /** Whether this chat runs the rendezvous now. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Stops the rendezvous if this chat runs it; never throws. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running = this.#running;
    this.#running = undefined;
    await running?.stop().catch(() => {});
  }

  async #takeOver(pinned: string | undefined): Promise<void> {
    const { env, say } = this.options;
    const address = this.#address;
    if (address === undefined) return;
    let dir: string;
    try {
      dir = embeddedRendezvousDir(env);
    } catch {
      return; // no data home: this chat never ran one either
    }
    const own = await embeddedPeerId(dir);
    if (!canTakeOver(own, pinned)) {
      if (!this.#refused) say(refusedTakeover(dir, own, pinned));
      this.#refused = true;
      return;
    }
    // The exiting chat may still hold the database for a moment: try a few times.
    for (let attempt = 1; attempt <= TAKEOVER_ATTEMPTS && !this.#running; attempt++) {
      if (this.#stopped) return;
      try {
        const taken = await startEmbeddedRendezvous(address, env, say);
        if (taken && (this.#running || this.#stopped)) await taken.stop();
        else this.#running ??= taken;
        return;
      } catch (err: unknown) {
        if (attempt === TAKEOVER_ATTEMPTS) {
          say(`tincan: cannot start the local rendezvous: ${(err as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, TAKEOVER_PAUSE_MS));
      }
    }
  }
}
