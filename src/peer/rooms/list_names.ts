/**
 * Member names in rooms across federated nodes. A signed member list names every member as
 * `user@server`, qualified with its home (crypto/member_list.ts format 2), so members on every
 * node agree on who is meant; a peer works with the names it shows and keys its contacts by
 * (names.ts): `alice` for a user of its own home, `bob@work` for another node's. These convert
 * between the two, given the home's name; before the home said its name (or when it never does)
 * names stay as they are, and lists are signed with bare usernames (format 1), as before
 * federation. Pure.
 */
import type { MemberList, SignedList } from "../../crypto/member_list.ts";
import { canonicalName } from "../names.ts";

/** `name` from a signed list as this peer shows it: `alice@home` at `home` is `alice`. */
export function localName(name: string, home: string | undefined): string {
  return home === undefined ? name : canonicalName(name, home);
}

/** `name` as this peer shows it, as a signed list names it: `alice` at `home` is `alice@home`. */
export function qualifiedName(name: string, home: string | undefined): string {
  return home === undefined || name.includes("@") ? name : `${name}@${home}`;
}

/** `list` with every name converted by `convert`. */
function renamed(list: MemberList, convert: (name: string) => string): MemberList {
  return {
    ...list,
    creator: convert(list.creator),
    admins: list.admins.map(convert),
    members: list.members.map((m) => ({ ...m, username: convert(m.username) })),
  };
}

/** A list as signed (read with `home`), in the names this peer shows. */
export function localList(list: MemberList, home: string | undefined): MemberList {
  return renamed(list, (name) => localName(name, home));
}

/** A list in the names this peer shows, as it is signed: every name qualified. */
export function qualifiedList(list: MemberList, home: string | undefined): MemberList {
  return renamed(list, (name) => qualifiedName(name, home));
}

/** A checked signed list, its list and signer in the names this peer shows. */
export function localSignedList(signed: SignedList, home: string | undefined): SignedList {
  return { ...signed, list: localList(signed.list, home), signer: localName(signed.signer, home) };
}
