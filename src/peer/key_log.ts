/**
 * Continuity of a contact's key log (the rendezvous's signed hash chain of the keys bound to an
 * account): a new certificate must be recorded in the log, and the log must extend the head we
 * saw before. Otherwise the rendezvous re-created the account (a new first entry), rewrote or
 * forked its history, or certifies a key change it did not log — each said as what it is.
 * Computes only (signature checks and hashes); the log is fetched by the caller.
 */
import type { PublicKey } from "@libp2p/interface";
import { bytesEqual } from "../crypto/bytes.ts";
import { StatementError, statementHash, verifyKeyLog } from "../crypto/statements.ts";
import type { Certificate, KeyLogEntry } from "../proto/certificate.ts";
import type { KeyLogHead } from "./store/key_log_heads.ts";

/** What is wrong with a key log. */
export type KeyLogProblem =
  /** The log starts with another first entry: the account was deleted and registered again. */
  | "recreated"
  /** The log does not verify, or does not extend the head we saw (forked or rewritten). */
  | "rewritten"
  /** The certified key (or the key we pinned) is not where the log says it should be. */
  | "unlogged";

/** The outcome of a key-log check. */
export type KeyLogCheck =
  | { readonly ok: true; readonly entries: readonly KeyLogEntry[]; readonly head: KeyLogHead }
  | {
    readonly ok: false;
    readonly entries: readonly KeyLogEntry[];
    readonly problem: KeyLogProblem;
    /** Says what happened, for the user: "bob's account was re-created at the rendezvous on …". */
    readonly message: string;
  };

/** What a key log is checked against. */
export interface KeyLogFacts {
  /** The name shown (`bob`, or `bob@work`). */
  readonly username: string;
  /** The username the log's entries name, when not `username` (`bob` for `bob@work`). */
  readonly loggedAs?: string;
  /** The log's signed statements, oldest first, as the rendezvous sent them. */
  readonly statements: readonly Uint8Array[];
  /** The verified certificate the log must record. */
  readonly certificate: Certificate;
  /** The head we verified before, if any. */
  readonly seen?: KeyLogHead | undefined;
  /** The key we pinned for the user, if any: it must be in the log. */
  readonly pinnedKey?: Uint8Array | undefined;
  /** The key of the node that signs the log (our home's, or the federated node's). */
  readonly rendezvousKey: PublicKey;
  readonly now: number;
}

/** Checks a key log against a certificate and the head seen before; returns the new head. */
export async function checkKeyLog(facts: KeyLogFacts): Promise<KeyLogCheck> {
  const { username, statements, certificate, seen, pinnedKey } = facts;
  let entries: KeyLogEntry[];
  try {
    entries = await verifyKeyLog(statements, facts.loggedAs ?? username, facts.rendezvousKey);
  } catch (err: unknown) {
    if (!(err instanceof StatementError)) throw err;
    const message = `the rendezvous's key log for ${username} does not verify: ${err.message}`;
    return { ok: false, entries: [], problem: "rewritten", message };
  }
  const length = Number(certificate.keyLogLength);
  const last = entries[length - 1];
  if (length < 1 || last === undefined || !bytesEqual(last.identityKey, certificate.identityKey)) {
    const message = `the rendezvous certifies a key for ${username} that its key log does not ` +
      `record: a key change missing from the log`;
    return { ok: false, entries, problem: "unlogged", message };
  }
  const logged = entries.slice(0, length);
  const firstHash = await statementHash(statements[0]!);
  const first = logged[0]!;
  if (seen !== undefined && !bytesEqual(seen.firstHash, firstHash)) {
    const message = `${username}'s account was re-created at the rendezvous on ` +
      `${new Date(Number(first.at)).toISOString()}: it is not the account you knew`;
    return { ok: false, entries, problem: "recreated", message };
  }
  const seenHead = seen === undefined ? undefined : statements[seen.length - 1];
  if (
    seen !== undefined &&
    (seen.length > length || seenHead === undefined ||
      !bytesEqual(await statementHash(seenHead), seen.head))
  ) {
    const message = `the rendezvous's key log for ${username} does not extend the one you saw ` +
      `(it was rewritten or forked)`;
    return { ok: false, entries, problem: "rewritten", message };
  }
  if (pinnedKey !== undefined && !logged.some((e) => bytesEqual(e.identityKey, pinnedKey))) {
    const message = `the rendezvous's key log for ${username} never recorded the key you ` +
      `pinned: a key change missing from the log`;
    return { ok: false, entries, problem: "unlogged", message };
  }
  return {
    ok: true,
    entries: logged,
    head: {
      length,
      head: await statementHash(statements[length - 1]!),
      firstHash,
      identityKey: last.identityKey,
      createdAt: Number(first.at),
      checkedAt: facts.now,
    },
  };
}

/** The keys a log retired: every key it bound before the last one, other than the last. */
export function retiredKeys(entries: readonly KeyLogEntry[]): Uint8Array[] {
  const current = entries.at(-1)?.identityKey;
  if (current === undefined) return [];
  return entries.slice(0, -1).map((e) => e.identityKey).filter((k) => !bytesEqual(k, current));
}
