/** Peers for integration tests: real profiles in temporary directories, real nodes on loopback. */
import type { Multiaddr } from "@multiformats/multiaddr";
import type { PeerEvent } from "../../src/peer/events.ts";
import { createPeer, type NoServices, type Peer, type PeerOptions } from "../../src/peer/peer.ts";
import type { ServiceFactories } from "../../src/peer/service.ts";
import { openProfile, type Profile } from "../../src/peer/profile.ts";
import { FAST } from "./harness.ts";

/** A started peer with its profile, and the events it has emitted so far. */
export interface TestPeer<F extends ServiceFactories = NoServices> {
  readonly peer: Peer<F>;
  readonly profile: Profile;
  readonly events: PeerEvent[];
  /** Resolves with the first event (already seen or future) matching `match`. */
  next<T extends PeerEvent["type"]>(
    type: T,
    match?: (event: Extract<PeerEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<PeerEvent, { type: T }>>;
  stop(): Promise<void>;
}

/** Starts `username` (registering it on first use) against the rendezvous at `address`. */
export async function startPeer<F extends ServiceFactories = NoServices>(
  address: Multiaddr,
  username: string,
  options: Partial<PeerOptions<F>> & {
    profileDir?: string;
    /** Called with the peer before it starts (to listen to its services from the start). */
    beforeStart?: (peer: Peer<F>) => void;
  } = {},
): Promise<TestPeer<F>> {
  const dir = options.profileDir ?? await Deno.makeTempDir({ prefix: `tincan-${username}-` });
  const profile = options.profile ?? await openProfile(dir);
  const events: PeerEvent[] = [];
  const waiters = new Set<(event: PeerEvent) => void>();
  // Listening from the start: mail read during the login is seen too.
  const onEvent = (event: PeerEvent) => {
    events.push(event);
    for (const waiter of [...waiters]) waiter(event);
  };
  const peer = createPeer<F>({
    profile,
    username,
    password: `pw-${username}`,
    rendezvous: address.toString(),
    register: true,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...FAST,
    ...options,
  });
  peer.on(onEvent);
  options.beforeStart?.(peer);
  await peer.start();
  return {
    peer,
    profile,
    events,
    next(type, match = () => true, timeoutMs = 15_000) {
      type E = Extract<PeerEvent, { type: typeof type }>;
      const found = events.find((e) => e.type === type && match(e as E));
      if (found) return Promise.resolve(found as E);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${username}: no ${type} event within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (event: PeerEvent) => {
          if (event.type === type && match(event as E)) {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(event as E);
          }
        };
        waiters.add(waiter);
      });
    },
    async stop() {
      await peer.stop().catch(() => {});
      profile.close();
    },
  };
}

/** Alice and bob exchange one message each, so both have pinned the other and hold a session. */
export async function converse(alice: TestPeer, bob: TestPeer): Promise<void> {
  const id = await alice.peer.send("bob", "before the change");
  await bob.next("message", (m) => m.id === id);
  await alice.next("delivered", (d) => d.id === id);
  const reply = await bob.peer.send("alice", "reply before the change");
  await alice.next("message", (m) => m.id === reply);
  await bob.next("delivered", (d) => d.id === reply);
}
