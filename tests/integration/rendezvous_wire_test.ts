/**
 * /rendezvous/1.0.0 byte for byte against a real rendezvous: a client that speaks only the spec's
 * proto (hand-encoded frames, as rust-libp2p writes them) registers and discovers, and every
 * answer is compared with the hand encoding the spec's strict decoders accept: `type` and
 * `status` present even when 0, an OK answer's `ttl` and `cookie` present.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { FramedStream, type MessageCodec } from "../../src/net/framed.ts";
import { sealPeerRecord } from "../../src/net/peer_record.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import { clientNode, FAST, ManualClock, stopAll, withRendezvous } from "./harness.ts";

/** Frames as bytes: the test writes and reads the protobuf itself. */
const RAW: MessageCodec<Uint8Array> = {
  encode: (bytes) => bytes,
  decode: (bytes) => bytes.subarray(),
};

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n = Math.floor(n / 128);
    out.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return out;
}
const vField = (field: number, n: number) => [field << 3, ...varint(n)];
const lField = (field: number, bytes: number[]) => [
  (field << 3) | 2,
  ...varint(bytes.length),
  ...bytes,
];

const NS = "tincan/wire";
const TTL = 7200;

Deno.test("rendezvous wire: a spec-only client's REGISTER and DISCOVER get spec-exact answers", async () => {
  const clock = new ManualClock();
  const { rendezvous, address } = await withRendezvous({ now: clock.now });
  const key = await generateKeyPair("Ed25519");
  const node = await clientNode(key);
  try {
    await registerAccount(node, address, "wire", "pw", FAST);
    await login(node, address, "wire", "pw", FAST);
    const record = [...await sealPeerRecord(key, ["/ip4/127.0.0.1/tcp/4999"], 1n)];
    const stream = await node.dialProtocol(address, PROTOCOL.rendezvous);
    const framed = new FramedStream(stream, RAW, RAW, FRAMES.rendezvousResponse);
    const exchange = async (request: number[]) => {
      await framed.write(Uint8Array.from(request));
      return [...await framed.read()];
    };
    const registration = [...lField(1, utf8(NS)), ...lField(2, record), ...vField(3, TTL)];

    // REGISTER (type 0, written explicitly) → REGISTER_RESPONSE {status: OK (0), ttl: 7200}.
    assert.deepEqual(
      await exchange([...vField(1, 0), ...lField(2, registration)]),
      [...vField(1, 1), ...lField(3, [...vField(1, 0), ...vField(3, TTL)])],
    );

    // A refused REGISTER (ttl 60 s, under the spec's 2 h minimum) → status E_INVALID_TTL (102).
    const refused = await exchange([
      ...vField(1, 0),
      ...lField(2, [...lField(1, utf8(NS)), ...lField(2, record), ...vField(3, 60)]),
    ]);
    assert.deepEqual(refused.slice(0, 2), vField(1, 1));
    assert.deepEqual(refused.slice(4, 6), vField(1, 102));

    // DISCOVER {ns} → DISCOVER_RESPONSE {registrations: [{ns, record, ttl}], cookie, status: OK}.
    // tincan's cookie: the last registration's counter (1) as 8 bytes big-endian, then ns.
    const cookie = [0, 0, 0, 0, 0, 0, 0, 1, ...utf8(NS)];
    assert.deepEqual(
      await exchange([...vField(1, 3), ...lField(5, lField(1, utf8(NS)))]),
      [
        ...vField(1, 4),
        ...lField(6, [...lField(1, registration), ...lField(2, cookie), ...vField(3, 0)]),
      ],
    );

    // DISCOVER with that cookie: nothing new, still a cookie and status OK.
    assert.deepEqual(
      await exchange([
        ...vField(1, 3),
        ...lField(5, [...lField(1, utf8(NS)), ...lField(3, cookie)]),
      ]),
      [...vField(1, 4), ...lField(6, [...lField(2, cookie), ...vField(3, 0)])],
    );
    await framed.close();
  } finally {
    await stopAll(node, rendezvous);
  }
});
