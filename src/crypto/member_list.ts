/**
 * Signed room member lists, pure. A room's membership is whatever list its admins signed last:
 * the creator signs version 1; every later version is signed by an admin of the list it replaces,
 * with a higher version. Members accept a list only under those rules, so the rendezvous (which
 * never sees a list: lists travel inside pairwise envelopes) cannot add or remove anyone, a
 * member who is not an admin cannot either, and an older list cannot be replayed.
 *
 * Wire layout: SignedMemberList { body, signer, signature } (src/proto/room.proto): `body` an
 * encoded MemberListBody, `signer` the signing admin's name, `signature` its Ed25519
 * signature over "tincan-member-list-v1" ‖ 0x00 ‖ body, checked with the signer's key as listed
 * in the list being replaced (or, for a first list seen, in the list itself). A body names the
 * list it replaces by `previous`, the SHA-256 of its signed bytes.
 *
 * Concurrent lists (two admins signing the next version of the same list) are ranked in
 * member_list_choice.ts.
 *
 * Names: format 2 (rooms across federated nodes) names every member, admin, creator and signer
 * as `user@server`, qualified with the user's home, so members on every node agree on who is
 * meant. Format 1 (lists made before federation, or by a peer whose rendezvous says no name)
 * names bare usernames, all of one home: read with `home` (the reader's own, which was every
 * member's), its names are qualified with it, so an old room's chain continues in format 2.
 * The format a list is signed in follows from its names (all bare: 1; all qualified: 2).
 */
import { MemberListBody, SignedMemberList } from "../proto/room.ts";
import { bytesEqual } from "./bytes.ts";
import {
  checkLength,
  concat,
  ED25519_PUBLIC_BYTES,
  ed25519Verify,
  SHA256_BYTES,
  sha256Hash,
  SIGNATURE_BYTES,
  type Signer,
} from "./primitives.ts";
import { ROOM_ID_BYTES } from "./sender_key.ts";

/** The member-list format of bare usernames (lists made before federation). */
export const MEMBER_LIST_FORMAT_LOCAL = 1;
/** The member-list format of qualified names (`user@server`), written whenever names are. */
export const MEMBER_LIST_FORMAT = 2;
/** Most members a room may have. */
export const MAX_ROOM_MEMBERS = 256;
/** A room name: "#" and 1-32 of [a-z0-9_-]. */
export const ROOM_NAME = /^#[a-z0-9_-]{1,32}$/;

const DOMAIN = new TextEncoder().encode("tincan-member-list-v1");
const USERNAME = /^[a-z0-9_-]{3,32}$/;
const QUALIFIED = /^[a-z0-9_-]{3,32}@[a-z0-9._-]{1,64}$/;

/** A member list that is malformed, forged, for another room, or older than the current one. */
export class MemberListError extends Error {
  override name = "MemberListError";
}

/** One member: a name and the identity key the admin vouches for. */
export interface RoomMember {
  /** A bare username (format 1) or `user@server` (format 2). */
  readonly username: string;
  /** The raw Ed25519 identity key. */
  readonly identityKey: Uint8Array;
}

/** A room's membership at one version. */
export interface MemberList {
  /** ROOM_ID_BYTES random bytes, fixed for the room's life. */
  readonly roomId: Uint8Array;
  /** "#name", as the creator chose it. */
  readonly name: string;
  /** 1 for the creator's first list, then strictly increasing. */
  readonly version: number;
  readonly creator: string;
  /** Usernames of the admins: members who may sign the next list. */
  readonly admins: readonly string[];
  readonly members: readonly RoomMember[];
  /** ms since the epoch. */
  readonly issuedAt: number;
  /** listHash of the list this one replaces; empty for version 1 (and older lists). */
  readonly previous: Uint8Array;
}

/** A checked list with who signed it and its encoding as received. */
export interface SignedList {
  readonly list: MemberList;
  readonly signer: string;
  readonly bytes: Uint8Array;
}

function signedBytes(body: Uint8Array): Uint8Array {
  return concat(DOMAIN, Uint8Array.of(0), body);
}

/** The format `list`'s names make: 2 when its creator is qualified, else 1. */
function formatOf(list: MemberList): number {
  return list.creator.includes("@") ? MEMBER_LIST_FORMAT : MEMBER_LIST_FORMAT_LOCAL;
}

/** The reason `list`, of `format`, is malformed, or undefined. */
function problem(list: MemberList, format: number): string | undefined {
  const name = format === MEMBER_LIST_FORMAT ? QUALIFIED : USERNAME;
  const what = format === MEMBER_LIST_FORMAT ? "a qualified name (user@server)" : "a username";
  if (list.roomId.length !== ROOM_ID_BYTES) return "its room id is not 16 bytes";
  if (!ROOM_NAME.test(list.name)) return `its name "${list.name}" is not a room name`;
  if (!Number.isSafeInteger(list.version) || list.version < 1) return "its version is not ≥ 1";
  if (!Number.isSafeInteger(list.issuedAt) || list.issuedAt < 0) return "its time is out of range";
  if (list.members.length === 0 || list.members.length > MAX_ROOM_MEMBERS) {
    return `it has ${list.members.length} members (1 to ${MAX_ROOM_MEMBERS})`;
  }
  const names = new Set<string>();
  for (const m of list.members) {
    if (!name.test(m.username)) return `"${m.username.slice(0, 100)}" is not ${what}`;
    if (m.identityKey.length !== ED25519_PUBLIC_BYTES) return `${m.username}'s key is not 32 bytes`;
    if (names.has(m.username)) return `${m.username} is listed twice`;
    names.add(m.username);
  }
  if (list.admins.length === 0) return "it has no admin";
  if (new Set(list.admins).size !== list.admins.length) return "an admin is listed twice";
  const outsider = list.admins.find((a) => !names.has(a));
  if (outsider !== undefined) return `its admin ${outsider} is not a member`;
  if (!name.test(list.creator)) return `its creator is not ${what}`;
  if (list.previous.length !== 0 && list.previous.length !== SHA256_BYTES) {
    return "its previous hash is not 32 bytes";
  }
  return undefined;
}

/** The key `list` gives `username`, or undefined when not a member. */
export function memberKey(list: MemberList, username: string): Uint8Array | undefined {
  return list.members.find((m) => m.username === username)?.identityKey;
}

/**
 * Encodes and signs `list` as the admin `signerName` (whose key is `signer`'s).
 * @throws RangeError when the list is malformed, or `signerName` is not an admin of it with
 * `signer`'s key.
 */
export async function signMemberList(
  signer: Signer,
  signerName: string,
  list: MemberList,
): Promise<Uint8Array> {
  const format = formatOf(list);
  const bad = problem(list, format);
  if (bad) throw new RangeError(`Cannot sign the member list: ${bad}`);
  const key = memberKey(list, signerName);
  if (
    !list.admins.includes(signerName) || key === undefined || !bytesEqual(key, signer.publicKey)
  ) {
    throw new RangeError(`Cannot sign the member list: ${signerName} is not an admin in it`);
  }
  const body = MemberListBody.encode({
    format,
    roomId: list.roomId,
    name: list.name,
    version: BigInt(list.version),
    creator: list.creator,
    admins: [...list.admins],
    members: list.members.map((m) => ({ username: m.username, identityKey: m.identityKey })),
    issuedAt: BigInt(list.issuedAt),
    previous: list.previous,
  });
  const signature = await signer.sign(signedBytes(body));
  checkLength("an Ed25519 signature", signature, SIGNATURE_BYTES);
  return SignedMemberList.encode({ body, signer: signerName, signature });
}

/**
 * Decodes and checks `bytes`; a format-1 list read with `home` has its names (and signer)
 * qualified with it.
 */
function decode(
  bytes: Uint8Array,
  home: string | undefined,
): { signed: SignedMemberList; list: MemberList } {
  let signed: SignedMemberList;
  let body: MemberListBody;
  try {
    signed = SignedMemberList.decode(bytes);
    body = MemberListBody.decode(signed.body);
  } catch (err: unknown) {
    throw new MemberListError("Rejected a member list: it is malformed", { cause: err });
  }
  if (!bytesEqual(SignedMemberList.encode(signed), bytes)) {
    throw new MemberListError("Rejected a member list: it is not canonically encoded");
  }
  if (body.format !== MEMBER_LIST_FORMAT && body.format !== MEMBER_LIST_FORMAT_LOCAL) {
    throw new MemberListError(`Rejected a member list: format ${body.format} is not supported`);
  }
  if (body.version > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MemberListError("Rejected a member list: its version is out of range");
  }
  if (body.issuedAt > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MemberListError("Rejected a member list: its time is out of range");
  }
  const list: MemberList = {
    roomId: body.roomId,
    name: body.name,
    version: Number(body.version),
    creator: body.creator,
    admins: body.admins,
    members: body.members.map((m) => ({ username: m.username, identityKey: m.identityKey })),
    issuedAt: Number(body.issuedAt),
    previous: body.previous,
  };
  const bad = problem(list, body.format);
  if (bad) throw new MemberListError(`Rejected a member list: ${bad}`);
  if (body.format === MEMBER_LIST_FORMAT) {
    if (!QUALIFIED.test(signed.signer)) {
      throw new MemberListError("Rejected a member list: its signer is not a qualified name");
    }
    return { signed, list };
  }
  if (home === undefined) return { signed, list };
  return {
    signed: { ...signed, signer: qualify(signed.signer, home) },
    list: qualified(list, home),
  };
}

/** `name`, a bare username of the node named `home`, as `name@home`. */
function qualify(name: string, home: string): string {
  return `${name}@${home}`;
}

/** The format-1 `list`, whose names are all of the node named `home`, with qualified names. */
function qualified(list: MemberList, home: string): MemberList {
  return {
    ...list,
    creator: qualify(list.creator, home),
    admins: list.admins.map((a) => qualify(a, home)),
    members: list.members.map((m) => ({ ...m, username: qualify(m.username, home) })),
  };
}

/**
 * Reads a signed list without checking its signature (to show an invitation, or to find the
 * room it belongs to); a format-1 list read with `home` (the reader's) has qualified names.
 * @throws MemberListError when it is malformed.
 */
export function peekMemberList(bytes: Uint8Array, home?: string): SignedList {
  const { signed, list } = decode(bytes, home);
  return { list, signer: signed.signer, bytes };
}

/**
 * Checks a signed list against the one the receiver holds now, `current`:
 * - with `current`: same room, a higher version, signed by an admin of `current` with the key
 *   `current` lists for that admin;
 * - without (the first list a receiver sees, from an invitation): signed by an admin of the list
 *   itself, with the key it lists, and version 1 only by its creator. The caller must then check
 *   that key against the one it pins for the signer (the list vouches for everyone else).
 * A format-1 list read with `home` (the reader's) has qualified names, as peekMemberList.
 * @throws MemberListError saying why it is refused.
 */
export async function openMemberList(
  bytes: Uint8Array,
  current?: MemberList,
  home?: string,
): Promise<SignedList> {
  const { signed, list } = decode(bytes, home);
  const authority = current ?? list;
  if (current !== undefined) {
    if (!bytesEqual(list.roomId, current.roomId)) {
      throw new MemberListError("Rejected a member list: it is for another room");
    }
    if (list.version <= current.version) {
      throw new MemberListError(
        `Rejected a member list: version ${list.version} is not newer than ${current.version}`,
      );
    }
  } else if (list.version === 1 && signed.signer !== list.creator) {
    throw new MemberListError("Rejected a member list: version 1 is not signed by the creator");
  }
  const key = memberKey(authority, signed.signer);
  if (!authority.admins.includes(signed.signer) || key === undefined) {
    throw new MemberListError(`Rejected a member list: ${signed.signer} is not a room admin`);
  }
  if (signed.signature.length !== SIGNATURE_BYTES) {
    throw new MemberListError("Rejected a member list: its signature is not 64 bytes");
  }
  if (!await ed25519Verify(key, signedBytes(signed.body), signed.signature)) {
    throw new MemberListError(`Rejected a member list: it is not signed by ${signed.signer}`);
  }
  return { list, signer: signed.signer, bytes };
}

/** The hash a later list names this signed list by (its `previous`): SHA-256 of its bytes. */
export function listHash(signed: Uint8Array): Uint8Array {
  return sha256Hash(signed);
}
