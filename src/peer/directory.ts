/**
 * What a peer knows about other users from the rendezvous directory: a verified certificate
 * judged against the pinned key, and the addresses from their signed peer records. A remote user
 * `bob@work` is looked up through our home, which asks `work` and vouches for its key
 * (federation/issuers.ts); the rest is the same as for a local user.
 */
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { bytesEqual } from "../crypto/bytes.ts";
import type { PqxdhBundle } from "../crypto/pqxdh.ts";
import { openPeerRecord, PeerRecordError } from "../net/peer_record.ts";
import type { TincanNode } from "../net/node.ts";
import type { Target } from "../net/dial.ts";
import type { Certificate } from "../proto/certificate.ts";
import { lookupUser, type UserRecord } from "./clients/directory.ts";
import type { KeyLogCheck } from "./key_log.ts";
import type { HomeName } from "./names.ts";
import { isAccepted, type Judgement, peerIdOfKey, type Trust } from "./trust.ts";

/** A user resolved through the directory. */
export interface ResolvedUser extends Judgement {
  readonly peerId: PeerId;
  readonly addresses: Multiaddr[];
}

/** What /whois shows: the current certificate, its judgement, and the key log behind it. */
export interface UserKeyLog {
  readonly user: ResolvedUser;
  readonly certificate: Certificate;
  readonly log: KeyLogCheck;
}

/** Looks users up at the rendezvous and judges their keys. */
export class Directory {
  constructor(
    private readonly node: TincanNode,
    private readonly rendezvous: () => Target,
    private readonly trust: Trust,
    private readonly names: HomeName,
  ) {}

  /**
   * Resolves `username` (as `resolve`) and checks its key log against the head last verified.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  async whois(username: string, now: number): Promise<UserKeyLog> {
    const record = await this.#lookup(username, true);
    const user = await this.#judge(username, record, now);
    const certificate = await this.trust.certificate(
      username,
      record.certificate,
      now,
      record.vouch,
    );
    return { user, certificate, log: await this.trust.keyLog(username, certificate, now) };
  }

  /**
   * Resolves `username`: verifies its certificate, judges its key, learns its addresses (and puts
   * them in the peer store so it can be dialled). No one-time prekey is consumed.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  async resolve(username: string, now: number): Promise<ResolvedUser> {
    const record = await this.#lookup(username, true);
    return await this.#judge(username, record, now);
  }

  /**
   * Fetches `username`'s prekey bundle for a new session (consumes one one-time prekey and one
   * one-time KEM prekey), for the key pinned as `identityKey`; with KEM prekeys when the user
   * published them and the rendezvous handed them out (else the session is X3DH).
   * @throws UntrustedKeyError when the certified key is no longer `identityKey`.
   */
  async bundle(username: string, identityKey: Uint8Array, now: number): Promise<PqxdhBundle> {
    const record = await this.#lookup(username, false);
    const judged = await this.#judge(username, record, now);
    if (!isAccepted(judged.standing) || !bytesEqual(judged.identityKey, identityKey)) {
      throw new KeyMismatchError(`${username}'s identity key changed; /trust ${username} first`);
    }
    if (!record.identityDhKey || !record.signedPrekey) {
      throw new MissingPrekeysError(`${username} has not published prekeys yet`);
    }
    return {
      identityKey: judged.identityKey,
      identityDhKey: record.identityDhKey,
      signedPrekey: record.signedPrekey,
      ...(record.oneTimePrekey ? { oneTimePrekey: record.oneTimePrekey } : {}),
      ...(record.kemLastResortPrekey ? { kemLastResortPrekey: record.kemLastResortPrekey } : {}),
      ...(record.kemOneTimePrekey ? { kemOneTimePrekey: record.kemOneTimePrekey } : {}),
    };
  }

  /** Looks `name` up at our home, or through it at the node that homes it. */
  #lookup(name: string, withoutOneTimePrekey: boolean): Promise<UserRecord> {
    const { username, server } = this.names.parse(name);
    return lookupUser(this.node, this.rendezvous(), username, {
      withoutOneTimePrekey,
      ...(server === undefined ? {} : { server }),
    });
  }

  async #judge(username: string, record: UserRecord, now: number): Promise<ResolvedUser> {
    const { certificate, peerRecords, vouch } = record;
    const judged = await this.trust.judgeCertificate(username, certificate, now, vouch);
    const peerId = peerIdOfKey(judged.identityKey);
    const addresses: Multiaddr[] = [];
    for (const bytes of peerRecords) {
      try {
        addresses.push(...(await openPeerRecord(bytes, peerId)).multiaddrs);
      } catch (err: unknown) {
        if (!(err instanceof PeerRecordError)) throw err;
      }
    }
    if (addresses.length > 0) {
      await this.node.peerStore.merge(peerId, { multiaddrs: addresses });
    }
    return { ...judged, peerId, addresses };
  }
}

/** The key the rendezvous certifies is not the one this operation was for. */
export class KeyMismatchError extends Error {
  override name = "KeyMismatchError";
}

/** The user has no prekeys to start a session with. */
export class MissingPrekeysError extends Error {
  override name = "MissingPrekeysError";
}
