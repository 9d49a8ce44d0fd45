/**
 * What a SQLite error says about the storage under a database: full (no space left, or the page
 * limit reached) or damaged (corrupt pages, not a database). Other errors are not storage
 * failures. node:sqlite errors carry SQLite's result code in `errcode`.
 */

/** SQLite primary result codes (the low byte of an extended code). */
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

/** A storage failure: "full" clears when space returns; "corrupt" does not. */
export type StorageFailure = "full" | "corrupt";

/** SQLite's messages for those codes, for the errors node:sqlite throws without a code. */
const FULL_MESSAGE = /^database or disk is full$/;
const CORRUPT_MESSAGE = /^(database disk image is malformed|file is not a database)$/;

/** The storage failure `err` reports, or undefined when it is another error. */
export function storageFailure(err: unknown): StorageFailure | undefined {
  if (!(err instanceof Error) || !("code" in err) || err.code !== "ERR_SQLITE_ERROR") {
    return undefined;
  }
  if ("errcode" in err && typeof err.errcode === "number") {
    const code = err.errcode & 0xff;
    if (code === SQLITE_FULL) return "full";
    if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB) return "corrupt";
    return undefined;
  }
  if (FULL_MESSAGE.test(err.message)) return "full";
  if (CORRUPT_MESSAGE.test(err.message)) return "corrupt";
  return undefined;
}
