/**
 * Byte-level conformance of /rendezvous/1.0.0 with the libp2p/specs rendezvous proto (r3):
 * every message type tincan sends, encoded and checked byte for byte against a hand encoding of
 * the spec's fields (field number << 3 | wire type, varints, length-delimited bytes). The spec's
 * fields have explicit presence and rust-libp2p's decoder requires `type`, `status`, `ns`,
 * `signedPeerRecord`, an OK answer's `ttl` and `cookie`: a codec that leaves a default value off
 * the wire (REGISTER = 0, OK = 0) fails these tests.
 */
import assert from "node:assert/strict";
import { Message } from "../../src/proto/rendezvous.ts";

const M = Message.MessageType;
const S = Message.ResponseStatus;
const utf8 = (s: string) => [...new TextEncoder().encode(s)];

/** A field key: field number and wire type (0 varint, 2 length-delimited). */
const key = (field: number, wireType: 0 | 2) => (field << 3) | wireType;
/** A varint. */
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}
/** A varint field. */
const vField = (field: number, n: number | bigint) => [key(field, 0), ...varint(n)];
/** A length-delimited field. */
const lField = (field: number, bytes: number[]) => [
  key(field, 2),
  ...varint(bytes.length),
  ...bytes,
];

const NS = "tincan/chat";
const RECORD = [0x0a, 0x24, 0x08, 0x01, 0x12, 0x20, ...Array(32).fill(7)];
const TTL = 7200; // the spec's default, 2 h: a two-byte varint (a0 38)
// A tincan cookie: the last counter (8 bytes big-endian), then the namespace.
const COOKIE = [0, 0, 0, 0, 0, 0, 0, 3, ...utf8(NS)];

/** The spec's Message.Register: ns = 1, signedPeerRecord = 2, ttl = 3. */
const register = (ttl?: number) => [
  ...lField(1, utf8(NS)),
  ...lField(2, RECORD),
  ...(ttl === undefined ? [] : vField(3, ttl)),
];

function assertWire(message: Message, expected: number[], what: string): void {
  assert.deepEqual([...Message.encode(message)], expected, `${what}: encoding`);
  assert.deepEqual(Message.decode(Uint8Array.from(expected)), message, `${what}: decoding`);
}

Deno.test("rendezvous wire: REGISTER writes type 0 (REGISTER), ns, the record and the ttl", () => {
  assertWire(
    {
      type: M.REGISTER,
      register: { ns: NS, signedPeerRecord: Uint8Array.from(RECORD), ttl: BigInt(TTL) },
    },
    [...vField(1, 0), ...lField(2, register(TTL))],
    "REGISTER",
  );
  assert.deepEqual(register(TTL).slice(-2), [0xa0, 0x38], "7200 as a varint");
});

Deno.test("rendezvous wire: a REGISTER asking for the default ttl leaves ttl out (not 0)", () => {
  assertWire(
    {
      type: M.REGISTER,
      register: { ns: NS, signedPeerRecord: Uint8Array.from(RECORD), ttl: 0n },
    },
    [...vField(1, 0), ...lField(2, register())],
    "REGISTER without ttl",
  );
});

Deno.test("rendezvous wire: an OK REGISTER_RESPONSE writes status 0 (OK) and the ttl", () => {
  assertWire(
    {
      type: M.REGISTER_RESPONSE,
      registerResponse: { status: S.OK, statusText: "", ttl: BigInt(TTL) },
    },
    [...vField(1, 1), ...lField(3, [...vField(1, 0), ...vField(3, TTL)])],
    "REGISTER_RESPONSE OK",
  );
});

Deno.test("rendezvous wire: a refused REGISTER_RESPONSE writes its status and text", () => {
  assertWire(
    {
      type: M.REGISTER_RESPONSE,
      registerResponse: { status: S.E_INVALID_TTL, statusText: "TTL 1 s", ttl: 0n },
    },
    [...vField(1, 1), ...lField(3, [...vField(1, 102), ...lField(2, utf8("TTL 1 s"))])],
    "REGISTER_RESPONSE E_INVALID_TTL",
  );
});

Deno.test("rendezvous wire: UNREGISTER writes type 2 and ns", () => {
  assertWire(
    { type: M.UNREGISTER, unregister: { ns: NS } },
    [...vField(1, 2), ...lField(4, lField(1, utf8(NS)))],
    "UNREGISTER",
  );
});

Deno.test("rendezvous wire: DISCOVER writes ns, limit and cookie; none of them when unset", () => {
  assertWire(
    {
      type: M.DISCOVER,
      discover: { ns: NS, limit: 10n, cookie: Uint8Array.from(COOKIE) },
    },
    [
      ...vField(1, 3),
      ...lField(5, [...lField(1, utf8(NS)), ...vField(2, 10), ...lField(3, COOKIE)]),
    ],
    "DISCOVER",
  );
  // All namespaces, no limit, no cookie: an empty Discover (an empty cookie would be malformed).
  assertWire(
    { type: M.DISCOVER, discover: { ns: "", limit: 0n, cookie: new Uint8Array(0) } },
    [...vField(1, 3), ...lField(5, [])],
    "DISCOVER everything",
  );
});

Deno.test("rendezvous wire: an OK DISCOVER_RESPONSE writes each registration's ttl, the cookie and status 0", () => {
  assertWire(
    {
      type: M.DISCOVER_RESPONSE,
      discoverResponse: {
        registrations: [{ ns: NS, signedPeerRecord: Uint8Array.from(RECORD), ttl: 1n }],
        cookie: Uint8Array.from(COOKIE),
        status: S.OK,
        statusText: "",
      },
    },
    [
      ...vField(1, 4),
      ...lField(6, [...lField(1, register(1)), ...lField(2, COOKIE), ...vField(3, 0)]),
    ],
    "DISCOVER_RESPONSE OK",
  );
  // No registrations (yet): still the cookie and the status.
  assertWire(
    {
      type: M.DISCOVER_RESPONSE,
      discoverResponse: {
        registrations: [],
        cookie: Uint8Array.from(COOKIE),
        status: S.OK,
        statusText: "",
      },
    },
    [...vField(1, 4), ...lField(6, [...lField(2, COOKIE), ...vField(3, 0)])],
    "DISCOVER_RESPONSE OK, empty",
  );
});

Deno.test("rendezvous wire: a refused DISCOVER_RESPONSE writes its status and text", () => {
  assertWire(
    {
      type: M.DISCOVER_RESPONSE,
      discoverResponse: {
        registrations: [],
        cookie: new Uint8Array(0),
        status: S.E_INVALID_COOKIE,
        statusText: "bad cookie",
      },
    },
    [...vField(1, 4), ...lField(6, [...vField(3, 103), ...lField(4, utf8("bad cookie"))])],
    "DISCOVER_RESPONSE E_INVALID_COOKIE",
  );
});

Deno.test("rendezvous wire: explicit defaults from another implementation decode as the defaults", () => {
  // A client that writes limit 0 and an empty namespace explicitly (proto2 presence).
  const decoded = Message.decode(
    Uint8Array.from([...vField(1, 3), ...lField(5, [...lField(1, []), ...vField(2, 0)])]),
  );
  assert.equal(decoded.type, M.DISCOVER);
  assert.equal(decoded.discover?.ns, "");
  assert.equal(decoded.discover?.limit, 0n);
});
