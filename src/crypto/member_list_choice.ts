/**
 * Which member list a member keeps when lists compete, pure (the lists themselves, and how they
 * are signed and checked, are member_list.ts). chooseMemberList places a received list against
 * the ones held.
 *
 * Concurrent lists (two admins each sign version n+1 of the same version n) are ranked by one
 * rule every member applies alike (concurrentWinner): a list whose signer the other list removes
 * as admin loses (an admin cannot race their own removal), unless each removes the other's
 * signer; otherwise the list whose signed bytes have the lower SHA-256 wins. The losing admin
 * re-proposes its change on top of the winner as version n+2 (rebaseMemberList).
 */
import { bytesEqual } from "./bytes.ts";
import {
  listHash,
  memberKey,
  type MemberList,
  MemberListError,
  openMemberList,
  peekMemberList,
  type SignedList,
} from "./member_list.ts";

/** Whether `list` takes away `admin`'s right to sign (removes it as admin or member). */
function demotes(list: MemberList, admin: string): boolean {
  return !list.admins.includes(admin);
}

/** -1, 0 or 1 as `a` sorts before, with or after `b`, byte by byte. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

/**
 * Of two checked concurrent lists (the same version, replacing the same list), the one every
 * member keeps: the one that removes the other's signer as admin when only one does, else the
 * one whose signed bytes have the lower listHash. Symmetric: the order of `a` and `b` does not
 * matter.
 */
export function concurrentWinner(a: SignedList, b: SignedList): SignedList {
  const aVoids = demotes(b.list, a.signer);
  const bVoids = demotes(a.list, b.signer);
  if (aVoids !== bVoids) return aVoids ? b : a;
  return compareBytes(listHash(a.bytes), listHash(b.bytes)) <= 0 ? a : b;
}

/** What a receiver does with a list, given the list it holds (see chooseMemberList). */
export type ListChoice =
  /** Keep `opened` (it replaces `parent`, the signed list to store beside it). */
  | { readonly take: true; readonly opened: SignedList; readonly parent: Uint8Array }
  /**
   * Keep the list held: the one received is the same, older, lost to the one held, or
   * `unplaced`: it replaces a list we do not know, so it cannot be ranked.
   */
  | { readonly take: false; readonly why: "same" | "older" | "lost" | "unplaced" };

/** The lists a receiver holds of one room: the current one and the one it replaced, if known. */
export interface HeldLists {
  readonly current: Uint8Array;
  readonly parent?: Uint8Array;
}

/**
 * Decides on the signed list `bytes`, sent with `sentParent` (the list it replaces), given the
 * lists `held`:
 * - newer, replacing our current list (or skipping versions, or from before `previous`): taken
 *   when signed by an admin of our current list (openMemberList);
 * - the same version, replacing the same list as ours (concurrent): checked against that parent
 *   (ours, or `sentParent` when its hash is the one our list names) and ranked by
 *   concurrentWinner;
 * - one version newer but replacing a list concurrent with ours: `sentParent` is ranked against
 *   ours as above; taken when `sentParent` wins and `bytes` is signed by one of its admins;
 * - one version newer, replacing a list we do not know and sent without it: unplaced (when
 *   signed by an admin of ours; else refused);
 * - otherwise older, lost or unplaced: kept out.
 * Forks are resolved one version deep: a list concurrent with an older version of ours is older.
 * Format-1 lists are read with `home`, as peekMemberList.
 * @throws MemberListError when it is malformed, for another room, or not signed by an admin of
 * the list it replaces.
 */
export async function chooseMemberList(
  held: HeldLists,
  bytes: Uint8Array,
  sentParent?: Uint8Array,
  home?: string,
): Promise<ListChoice> {
  const current = peekMemberList(held.current, home);
  const incoming = peekMemberList(bytes, home).list;
  if (!bytesEqual(incoming.roomId, current.list.roomId)) {
    throw new MemberListError("Rejected a member list: it is for another room");
  }
  if (bytesEqual(bytes, held.current)) return { take: false, why: "same" };
  const version = current.list.version;
  const currentHash = listHash(held.current);
  const forked = incoming.previous.length > 0 && !bytesEqual(incoming.previous, currentHash);
  if (incoming.version > version + 1 || (incoming.version === version + 1 && !forked)) {
    return {
      take: true,
      opened: await openMemberList(bytes, current.list, home),
      parent: held.current,
    };
  }
  if (incoming.version === version && forked) {
    const rival = await openAgainstParent(bytes, current.list.previous, [
      held.parent,
      sentParent,
    ], home);
    if (rival === undefined) return { take: false, why: "unplaced" };
    return concurrentWinner(current, rival.opened) === current
      ? { take: false, why: "lost" }
      : rival;
  }
  if (incoming.version === version + 1 && sentParent !== undefined) {
    if (!bytesEqual(listHash(sentParent), incoming.previous)) {
      throw new MemberListError("Rejected a member list: it was sent with another list's parent");
    }
    const rival = await openAgainstParent(sentParent, current.list.previous, [held.parent], home);
    if (rival === undefined) return { take: false, why: "unplaced" };
    if (concurrentWinner(current, rival.opened) === current) return { take: false, why: "lost" };
    return {
      take: true,
      opened: await openMemberList(bytes, rival.opened.list, home),
      parent: sentParent,
    };
  }
  if (incoming.version === version + 1) {
    await openMemberList(bytes, current.list, home); // refuses a list no admin of ours signed
    return { take: false, why: "unplaced" };
  }
  return { take: false, why: "older" };
}

/**
 * Opens `bytes`, concurrent with a list of ours that replaced the list hashed `parentHash`,
 * against that parent, found among `candidates` by its hash; undefined when none is. Format-1
 * lists are read with `home`.
 * @throws MemberListError when `bytes` is not signed by an admin of that parent or does not
 * replace it.
 */
async function openAgainstParent(
  bytes: Uint8Array,
  parentHash: Uint8Array,
  candidates: readonly (Uint8Array | undefined)[],
  home: string | undefined,
): Promise<{ take: true; opened: SignedList; parent: Uint8Array } | undefined> {
  const parent = parentHash.length === 0
    ? undefined
    : candidates.find((c) => c !== undefined && bytesEqual(listHash(c), parentHash));
  if (parent === undefined) return undefined;
  const opened = await openMemberList(bytes, peekMemberList(parent, home).list, home);
  if (!bytesEqual(opened.list.previous, parentHash)) {
    throw new MemberListError("Rejected a member list: it does not replace the list ours does");
  }
  return { take: true, opened, parent };
}

/**
 * Our change from `parent` to `mine` (a list we signed that lost to the concurrent `winner`),
 * made again on top of `winner` as its next version, issued at `issuedAt`: the members we added
 * or removed and the admins we named or dropped. Undefined when `me` is no admin of `winner` or
 * nothing of our change is left to make.
 */
export function rebaseMemberList(
  parent: MemberList,
  mine: MemberList,
  winner: MemberList,
  me: string,
  issuedAt: number,
): MemberList | undefined {
  if (!winner.admins.includes(me)) return undefined;
  const had = (list: MemberList, name: string) => memberKey(list, name) !== undefined;
  const added = mine.members.filter((m) => !had(parent, m.username) && !had(winner, m.username));
  const removed = new Set(
    parent.members.filter((m) => !had(mine, m.username)).map((m) => m.username),
  );
  const members = [...winner.members.filter((m) => !removed.has(m.username)), ...added];
  const named = mine.admins.filter((a) => !parent.admins.includes(a));
  const dropped = new Set(parent.admins.filter((a) => !mine.admins.includes(a)));
  const admins = [...new Set([...winner.admins.filter((a) => !dropped.has(a)), ...named])]
    .filter((a) => members.some((m) => m.username === a));
  const same = members.length === winner.members.length && added.length === 0 &&
    admins.length === winner.admins.length && admins.every((a) => winner.admins.includes(a));
  if (same || admins.length === 0) return undefined;
  return { ...winner, version: winner.version + 1, admins, members, issuedAt };
}
