/**
 * One page of who is online here, by username: what `/list` shows local peers and what a
 * federated node may show its users (`/list NAME` there). Pure.
 */
import type { OnlineUser } from "../proto/services.ts";

/**
 * The users after `cursor` (by username), at most `limit` (at least 1, at most `max`), and the
 * cursor of the next page ("" when this is the last).
 */
export function onlinePage(
  users: readonly { readonly username: string; readonly since: number }[],
  cursor: string,
  limit: number,
  max: number,
): { online: OnlineUser[]; nextCursor: string } {
  const size = Math.min(Math.max(limit, 1), max);
  const after = users.filter((u) => u.username > cursor)
    .sort((a, b) => a.username < b.username ? -1 : 1);
  const page = after.slice(0, size);
  return {
    online: page.map((u) => ({ username: u.username, since: BigInt(u.since) })),
    nextCursor: after.length > size ? page.at(-1)!.username : "",
  };
}
