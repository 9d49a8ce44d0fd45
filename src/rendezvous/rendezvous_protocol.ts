/**
 * /rendezvous/1.0.0 — the libp2p rendezvous protocol (libp2p/specs rendezvous/README.md r3):
 * REGISTER, UNREGISTER and DISCOVER with cookies, many requests per stream. REGISTER requires a
 * logged-in PeerId and a signed peer record of that PeerId; DISCOVER is open to logged-in peers.
 */
import type { Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { openPeerRecord, PeerRecordError } from "../net/peer_record.ts";
import { Message } from "../proto/rendezvous.ts";
import { FRAMES, MAX_PEER_RECORD_BYTES } from "../protocol/limits.ts";
import type { Refusal, RegistrationTable } from "./registrations.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";
import type { Metrics } from "./metrics.ts";

/** What the rendezvous protocol works with. */
export interface RendezvousDeps {
  readonly table: RegistrationTable;
  readonly loggedIn: LoggedInUsers;
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
  const serve = requireLogin(
    deps.loggedIn,
    refuse,
    (request: Message, _username: string, connection: Caller) => answer(deps, connection, request),
  );
  return async (stream: Stream, connection: Caller): Promise<void> => {
    const framed: RendezvousStream = new FramedStream(
      stream,
      Message,
      Message,
      deps.frames ?? FRAMES.rendezvous,
    );
    while (true) {
      const request = await framed.readOrEnd();
      if (request === undefined) break;
      const response = await serve(request, connection);
      if (response !== undefined) await framed.write(response);
    }
    await framed.close();
  };
}

/** The answer to a peer that is not logged in: UNREGISTER has none, per the spec. */
function refuse(request: Message): Message | undefined {
  switch (request.type) {
    case Message.MessageType.REGISTER:
      return registerResponse(Status.E_NOT_AUTHORIZED, LOG_IN_FIRST);
    case Message.MessageType.DISCOVER:
      return discoverResponse(Status.E_NOT_AUTHORIZED, LOG_IN_FIRST);
    case Message.MessageType.UNREGISTER:
      return undefined;
    default:
      return unexpected(request);
  }
}

/** The answer to a logged-in peer. */
async function answer(
  deps: RendezvousDeps,
  connection: Caller,
  request: Message,
): Promise<Message | undefined> {
  const peerId = connection.remotePeer.toString();
  switch (request.type) {
    case Message.MessageType.REGISTER: {
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
      deps.loggedIn.reannounce(peerId, deps.now()); // others may be waiting for its addresses
      deps.metrics.count("rendezvous_registrations");
      return registerResponse(Status.OK, "", BigInt(result.ttlSeconds));
    }
    case Message.MessageType.UNREGISTER: {
      if (request.unregister !== undefined) {
        deps.table.unregister(peerId, request.unregister.ns);
      }
      return undefined; // the spec: UNREGISTER has no response
    }
    case Message.MessageType.DISCOVER: {
      const discover = request.discover ?? { ns: "", limit: 0n, cookie: new Uint8Array(0) };
      const limit = discover.limit;
      const now = deps.now();
      const result = deps.table.discover(
        discover.ns,
        limit > 1_000_000n ? 1_000_000 : Number(limit),
        discover.cookie,
        now,
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
            // At least 1 s (discover returns only live ones): a ttl of 0 would be left off the
            // wire, and the spec's strict decoders require it.
            ttl: BigInt(Math.max(1, Math.ceil((r.expiresAt - now) / 1000))),
          })),
        },
      };
    }
    default:
      return unexpected(request);
  }
}

function unexpected(request: Message): Message {
  return registerResponse(Status.E_INTERNAL_ERROR, `unexpected message type ${request.type}`);
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
