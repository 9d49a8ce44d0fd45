/**
 * Signed peer records (libp2p RFC 0002/0003): a peer's addresses and a sequence number in an
 * envelope signed by the peer's own key. The rendezvous protocol carries them in REGISTER.
 */
import { bytesEqual } from "../crypto/bytes.ts";
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { PeerRecord, RecordEnvelope } from "@libp2p/peer-record";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";

/** A verified peer record. */
export interface OpenedPeerRecord {
  readonly peerId: PeerId;
  readonly seq: bigint;
  readonly multiaddrs: Multiaddr[];
}

/** A signed peer record that is malformed, badly signed, or not the expected peer's. */
export class PeerRecordError extends Error {
  override name = "PeerRecordError";
}

/** Seals `addresses` with sequence number `seq` under `key`; returns the envelope bytes. */
export async function sealPeerRecord(
  key: PrivateKey,
  addresses: readonly (Multiaddr | string)[],
  seq: bigint,
): Promise<Uint8Array> {
  const record = new PeerRecord({
    peerId: peerIdFromPrivateKey(key),
    multiaddrs: addresses.map((a) => typeof a === "string" ? multiaddr(a) : a),
    seqNumber: seq,
  });
  return (await RecordEnvelope.seal(record, key)).marshal();
}

/**
 * Verifies an envelope: its signature, its payload type, and (when given) that it is signed by
 * `expected`.
 * @throws PeerRecordError saying what is wrong.
 */
export async function openPeerRecord(
  bytes: Uint8Array,
  expected?: PeerId,
): Promise<OpenedPeerRecord> {
  let envelope: RecordEnvelope;
  try {
    envelope = await RecordEnvelope.openAndCertify(bytes, PeerRecord.DOMAIN);
  } catch (err: unknown) {
    throw new PeerRecordError("the signed peer record is malformed or badly signed", {
      cause: err,
    });
  }
  if (!bytesEqual(envelope.payloadType, PeerRecord.CODEC)) {
    throw new PeerRecordError("the envelope does not hold a peer record");
  }
  let record: PeerRecord;
  try {
    record = PeerRecord.createFromProtobuf(envelope.payload);
  } catch (err: unknown) {
    throw new PeerRecordError("the peer record is malformed", { cause: err });
  }
  if (!record.peerId.publicKey?.equals(envelope.publicKey)) {
    throw new PeerRecordError("the peer record is signed by another peer than it names");
  }
  if (expected !== undefined && !record.peerId.equals(expected)) {
    throw new PeerRecordError(`the peer record is for ${record.peerId}, not ${expected}`);
  }
  return { peerId: record.peerId, seq: record.seqNumber, multiaddrs: record.multiaddrs };
}
