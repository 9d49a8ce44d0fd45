/**
 * /rendezvous/1.0.0 — the libp2p rendezvous protocol (libp2p/specs rendezvous/README.md r3):
 * REGISTER, UNREGISTER and DISCOVER with cookies, many requests per stream. REGISTER requires a
 * logged-in PeerId and a signed peer record of that PeerId; DISCOVER is open to logged-in peers.
 */
import type { Connection, Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { openPeerRecord, PeerRecordError } from "../net/peer_record.ts";
import { Message } from "../proto/rendezvous.ts";
import { FRAMES, MAX_PEER_RECORD_BYTES } from "../protocol/limits.ts";
import type { Refusal, RegistrationTable } from "./registrations.ts";
import type { Sessions } from "./sessions.ts";
import type { Metrics } from "./metrics.ts";

/** What the rendezvous protocol works with. */
export interface RendezvousDeps {
  readonly table: RegistrationTable;
  readonly sessions: Sessions;
  readonly log: Logger;
  readonly now: () => number;
  /** Frame limits of a request stream; FRAMES.rendezvous unless given. */
  readonly frames?: FrameLimits;
  /** Operator hook: counts what this protocol answers. */
  readonly metrics: Metrics;
}

type RendezvousStream = FramedStream<Message, Message>;
const Status = Message.ResponseStatus;

/** Creates the handler of /rendezvous/1.0.0. */
export function rendezvousProtocol(deps: RendezvousDeps) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const framed: RendezvousStream = new FramedStream(
      stream,
      Message,
      Message,
      deps.frames ?? FRAMES.rendezvous,
    );
    while (true) {
      const request = await framed.readOrEnd();
      if (request === undefined) break;
      const response = await answer(deps, connection, request);
      if (response !== undefined) await framed.write(response);
    }
    await framed.close();
  };
}

async function answer(
  deps: RendezvousDeps,
  connection: Connection,
  request: Message,
): Promise<Message | undefined> {
  const peerId = connection.remotePeer.toString();
  const loggedIn = deps.sessions.usernameOf(peerId) !== undefined;
  switch (request.type) {
    case Message.MessageType.REGISTER: {
      if (!loggedIn) return registerResponse(Status.E_NOT_AUTHORIZED, "log in first");
      const register = request.register;
      if (register === undefined) {
        return registerResponse(Status.E_INTERNAL_ERROR, "REGISTER without a register field");
      }
      const recordBytes = register.signedPeerRecord;
      if (recordBytes.length === 0 || recordBytes.length > MAX_PEER_RECORD_BYTES) {
        return registerResponse(
          Status.E_INVALID_SIGNED_PEER_RECORD,
          `a signed peer record of 1..${MAX_PEER_RECORD_BYTES} bytes is required`,
        );
      }
      let seq: bigint;
      try {
        seq = (await openPeerRecord(recordBytes, connection.remotePeer)).seq;
      } catch (err: unknown) {
        if (!(err instanceof PeerRecordError)) throw err;
        return registerResponse(Status.E_INVALID_SIGNED_PEER_RECORD, err.message);
      }
      const ttl = register.ttl;
      const result = deps.table.register(
        peerId,
        register.ns,
        recordBytes,
        seq,
        ttl > 2n ** 31n ? Number.MAX_SAFE_INTEGER : Number(ttl),
        deps.now(),
      );
      if ("error" in result) return refusal(result, "register");
      deps.sessions.reannounce(peerId, deps.now()); // others may be waiting for its addresses
      deps.metrics.count("rendezvous_registrations");
      return registerResponse(Status.OK, "", BigInt(result.ttlSeconds));
    }
    case Message.MessageType.UNREGISTER: {
      if (loggedIn && request.unregister !== undefined) {
        deps.table.unregister(peerId, request.unregister.ns);
      }
      return undefined; // the spec: UNREGISTER has no response
    }
    case Message.MessageType.DISCOVER: {
      if (!loggedIn) return discoverResponse(Status.E_NOT_AUTHORIZED, "log in first");
      const discover = request.discover ?? { ns: "", limit: 0n, cookie: new Uint8Array(0) };
      const limit = discover.limit;
      const result = deps.table.discover(
        discover.ns,
        limit > 1_000_000n ? 1_000_000 : Number(limit),
        discover.cookie,
        deps.now(),
      );
      if ("error" in result) return refusal(result, "discover");
      deps.metrics.count("rendezvous_discovers");
      return {
        type: Message.MessageType.DISCOVER_RESPONSE,
        discoverResponse: {
          status: Status.OK,
          statusText: "",
          cookie: result.cookie,
          registrations: result.registrations.map((r) => ({
            ns: r.ns,
            signedPeerRecord: r.signedPeerRecord,
            ttl: BigInt(Math.max(0, Math.ceil((r.expiresAt - deps.now()) / 1000))),
          })),
        },
      };
    }
    default:
      return registerResponse(Status.E_INTERNAL_ERROR, `unexpected message type ${request.type}`);
  }
}

function registerResponse(status: Message.ResponseStatus, statusText: string, ttl = 0n): Message {
  return {
    type: Message.MessageType.REGISTER_RESPONSE,
    registerResponse: { status, statusText, ttl },
  };
}

function discoverResponse(status: Message.ResponseStatus, statusText: string): Message {
  return {
    type: Message.MessageType.DISCOVER_RESPONSE,
    discoverResponse: { status, statusText, registrations: [], cookie: new Uint8Array(0) },
  };
}

function refusal(refused: Refusal, to: "register" | "discover"): Message {
  const status = Status[refused.error];
  return to === "register"
    ? registerResponse(status, refused.text)
    : discoverResponse(status, refused.text);
}
