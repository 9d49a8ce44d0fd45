/** The size and SHA-256 of a file to offer, read once from disk. */
import { createHash } from "node:crypto";
import { FileTransferError } from "./errors.ts";

/**
 * The size and SHA-256 of the regular file at `path`.
 * @throws FileTransferError when it is missing, unreadable or not a regular file.
 */
export async function hashFile(path: string): Promise<{ size: number; sha256: Uint8Array }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err: unknown) {
    throw new FileTransferError(`Cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile) throw new FileTransferError(`${path} is not a regular file`);
    const hash = createHash("sha256");
    const buffer = new Uint8Array(1024 * 1024);
    let size = 0;
    for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    return { size, sha256: new Uint8Array(hash.digest()) };
  } finally {
    file.close();
  }
}
