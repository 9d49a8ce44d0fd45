/**
 * Every advertised protocol against random and mutated frames, on real nodes: each rendezvous
 * protocol (as a logged-in user and as a stranger), a peer's chat protocol and its file
 * protocol. Each stream must end in an answer, a close or a reset within the read deadline; the
 * node must not crash or hang, must still serve real users afterwards, and must not keep state
 * for what it refused (logged-in users, connections, streams).
 */
import type { Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { Multiaddr } from "@multiformats/multiaddr";
import fc from "fast-check";
import assert from "node:assert/strict";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { ChatFrame } from "../../src/proto/chat.ts";
import { CHAT_FRAME_VERSION } from "../../src/protocol/limits.ts";
import { FileRequest } from "../../src/proto/file.ts";
import { FederationRequest } from "../../src/proto/federation.ts";
import { MailboxRequest } from "../../src/proto/mailbox.ts";
import { Message } from "../../src/proto/rendezvous.ts";
import { AccountRequest, DirectoryRequest, PresenceRequest } from "../../src/proto/services.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import {
  clientNode,
  FAST,
  loggedInClient,
  stopAll,
  withRendezvous,
} from "../integration/harness.ts";
import { startPeer } from "../integration/peer_harness.ts";
import { fuzzParameters, mutated } from "./fuzz_runs.ts";

/** The read deadline the fuzzed rendezvous runs with. */
const READ_DEADLINE_MS = 1_000;
/** How long a stream may take to be answered, closed or reset (the read deadline + slack). */
const SETTLE_MS = READ_DEADLINE_MS + 4_000;
/** How long a long-lived stream (presence, chat) is watched for a close before we end it. */
const WATCH_MS = 1_000;

/** What one hostile stream sends: frames (length-prefixed) and then, maybe, raw bytes. */
interface Attack {
  readonly frames: Uint8Array[];
  readonly raw: Uint8Array;
  readonly endWrite: boolean;
}

function attacks(seed: Uint8Array): fc.Arbitrary<Attack> {
  return fc.record({
    frames: fc.array(mutated(seed), { minLength: 0, maxLength: 4 }),
    raw: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 32 })),
    endWrite: fc.boolean(),
  });
}

/**
 * Sends `attack` on a fresh `protocol` stream from `node` and waits until the other side
 * answers, closes or resets it (a long-lived stream that merely waits is closed by us after the
 * deadline and counts as waiting).
 * @throws AssertionError when nothing happens within SETTLE_MS on a stream the other side must
 * settle (the request-response protocols).
 */
async function strike(
  node: TincanNode,
  target: Multiaddr,
  protocol: string,
  attack: Attack,
  mustSettle: boolean,
): Promise<void> {
  let stream: Stream;
  try {
    stream = await node.dialProtocol(target, protocol, { signal: AbortSignal.timeout(SETTLE_MS) });
  } catch (err: unknown) {
    // Refused at negotiation (too many streams …): also an answer, not a hang.
    assert.notEqual((err as Error).name, "TimeoutError", `${protocol}: the dial hung`);
    return;
  }
  const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 });
  try {
    for (const frame of attack.frames) await lp.write(frame, { signal: AbortSignal.timeout(2000) });
    if (attack.raw.length > 0) stream.send(attack.raw);
    if (attack.endWrite) await stream.close({ signal: AbortSignal.timeout(2000) }).catch(() => {});
    const deadline = AbortSignal.timeout(mustSettle ? SETTLE_MS : WATCH_MS);
    while (true) {
      try {
        await lp.read({ signal: deadline });
      } catch (err: unknown) {
        const timedOut = (err as Error).name === "TimeoutError" || deadline.aborted;
        if (timedOut) assert.ok(!mustSettle, `${protocol}: neither answered nor closed in time`);
        return; // closed, reset, or (long-lived) waiting
      }
    }
  } catch (err: unknown) {
    // Writing into a stream the server already reset is an outcome too.
    if ((err as Error).name === "AssertionError") throw err;
  } finally {
    stream.abort(new Error("fuzz case done"));
  }
}

/** Valid requests to mutate, one per rendezvous protocol. */
const RENDEZVOUS_SEEDS = {
  account: AccountRequest.encode({
    type: AccountRequest.Type.LOGIN_START,
    username: "alice",
    opaqueMessage: "AAAA",
  }),
  rendezvous: Message.encode({
    type: Message.MessageType.DISCOVER,
    discover: { ns: "tincan/peers", limit: 10n, cookie: new Uint8Array(0) },
  }),
  directory: DirectoryRequest.encode({ type: DirectoryRequest.Type.LOOKUP, username: "alice" }),
  presence: PresenceRequest.encode({}),
  mailbox: MailboxRequest.encode({
    type: MailboxRequest.Type.FETCH,
    recipient: "",
    envelope: new Uint8Array(0),
    limit: 10,
    ids: [],
  }),
  federation: FederationRequest.encode({
    ...FederationRequest.decode(new Uint8Array(0)),
    type: FederationRequest.Type.LOOKUP,
    from: "work",
    username: "alice",
  }),
} as const;

/** After abuse: the rendezvous still registers and logs in a new user. */
async function assertStillServes(address: Multiaddr): Promise<void> {
  const node = await clientNode();
  try {
    const username = `after-${crypto.randomUUID().slice(0, 8)}`;
    await registerAccount(node, address, username, "pw", FAST);
    assert.equal((await login(node, address, username, "pw", FAST)).username, username);
  } finally {
    await node.stop();
  }
}

for (const [name, seed] of Object.entries(RENDEZVOUS_SEEDS)) {
  Deno.test({
    name: `fuzz: /${name} answers, closes or resets every hostile stream, and keeps serving`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { rendezvous, address } = await withRendezvous({ readTimeoutMs: READ_DEADLINE_MS });
      const member = await loggedInClient(address, "member");
      const stranger = await clientNode();
      try {
        const loggedIn = rendezvous.loggedIn.size;
        const protocol = PROTOCOL[name as keyof typeof RENDEZVOUS_SEEDS];
        // Presence is long-lived for a member: it may wait; everything else must settle.
        await fc.assert(
          fc.asyncProperty(attacks(seed), fc.boolean(), async (attack, asMember) => {
            const node = asMember ? member : stranger;
            await strike(node, address, protocol, attack, !(asMember && name === "presence"));
          }),
          fuzzParameters(15),
        );
        assert.equal(rendezvous.node.status, "started");
        assert.equal(rendezvous.loggedIn.size, loggedIn, "no login came of hostile bytes");
        await assertStillServes(address);
        assert.ok(
          rendezvous.node.getConnections().length <= 3,
          `connections left behind: ${rendezvous.node.getConnections().length}`,
        );
      } finally {
        await stopAll(member, stranger, rendezvous);
      }
    },
  });
}

Deno.test({
  name: "fuzz: a peer's chat and file protocols survive hostile streams and still chat",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { rendezvous, address } = await withRendezvous();
    const alice = await startPeer(address, "alice");
    const bob = await startPeer(address, "bob");
    const stranger = await clientNode();
    try {
      const target = bob.peer.node.getMultiaddrs()[0]!;
      const chatSeed = ChatFrame.encode({
        version: CHAT_FRAME_VERSION,
        envelopes: [new Uint8Array(64)],
        acks: [],
      });
      const fileSeed = FileRequest.encode({
        transferId: new Uint8Array(16),
        fromChunk: 0n,
        credit: 4,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            attacks(chatSeed).map((a) => ({ protocol: PROTOCOL.chat, attack: a })),
            attacks(fileSeed).map((a) => ({ protocol: PROTOCOL.file, attack: a })),
          ),
          // The chat stream is long-lived: it may wait for more frames; the file stream may not.
          async ({ protocol, attack }) =>
            await strike(stranger, target, protocol, attack, protocol === PROTOCOL.file),
        ),
        fuzzParameters(20),
      );
      assert.equal(bob.peer.node.status, "started");
      const id = await alice.peer.send("bob", "still here?");
      await alice.next("delivered", (d) => d.id === id, 20_000);
      await bob.next("message", (m) => m.id === id);
    } finally {
      await stopAll(stranger, alice, bob, rendezvous);
    }
  },
});
