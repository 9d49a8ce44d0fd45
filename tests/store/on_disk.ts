/** What a thief with the disk reads: whether some bytes are anywhere in a database's files. */

/** Whether `needle` occurs in the database at `path` or in its WAL. */
export async function onDisk(path: string, needle: Uint8Array): Promise<boolean> {
  for (const file of [path, `${path}-wal`]) {
    const bytes = await Deno.readFile(file).catch(() => new Uint8Array(0));
    outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
      for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
      return true;
    }
  }
  return false;
}
