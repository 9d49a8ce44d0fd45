/**
 * Where this profile registered its account: one setting per rendezvous and username, noted
 * after the first successful login there, so a profile registers once per rendezvous and the
 * CLI can tell a first registration from a later one.
 */
import type { DatabaseSync } from "node:sqlite";
import { selectAll } from "../store/database.ts";

/** The setting that records `username`'s registration at the rendezvous `rendezvousId`. */
export const registeredSetting = (rendezvousId: string, username: string): string =>
  `registered:${rendezvousId}:${username}`;

/**
 * The PeerIds of the rendezvous where this profile registered `username` (and then logged in):
 * none means the next registration is this profile's first.
 */
export function registrations(db: DatabaseSync, username: string): string[] {
  const suffix = `:${username}`;
  return selectAll<{ name: string }>(
    db,
    "SELECT name FROM settings WHERE substr(name, 1, 11) = 'registered:' ORDER BY name",
  ).map((row) => row.name).filter((name) => name.endsWith(suffix))
    .map((name) => name.slice("registered:".length, -suffix.length));
}
