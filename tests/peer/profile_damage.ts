/** Damaging a profile's files on disk the way disks and people do, for the profile tests. */

/** Overwrites every page of `path` after the first `keepPages` (4 KiB each) with junk. */
export async function damagePages(path: string, keepPages = 1): Promise<void> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const { size } = await file.stat();
    const from = keepPages * 4096;
    if (size <= from) throw new RangeError(`${path} has no page after the first ${keepPages}`);
    await file.seek(from, Deno.SeekMode.Start);
    await file.write(new Uint8Array(size - from).fill(0x5a));
  } finally {
    file.close();
  }
}

/** Folds the WAL into the database file: what is on disk is then the whole database. */
export function checkpoint(db: { exec(sql: string): void }): void {
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}
