/** Keeping a finished download under a free name in its directory, never overwriting. */
import { join } from "node:path";
import { FileTransferError } from "./errors.ts";
import { freeName } from "./safe_name.ts";

/**
 * Moves the finished partial file into `dir` as `name`, or "name (1)" … when taken: never
 * overwrites (a hard link fails on an existing name; without links, a checked rename).
 * Returns the final path.
 * @throws FileTransferError when 100 attempts find no free name (others keep taking them).
 */
export async function keepFile(partPath: string, dir: string, name: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = join(dir, freeName(name, (n) => exists(join(dir, n))));
    try {
      await Deno.link(partPath, candidate);
      await Deno.remove(partPath);
      return candidate;
    } catch (err: unknown) {
      if (err instanceof Deno.errors.AlreadyExists) continue; // taken meanwhile: next name
      if (exists(candidate)) continue;
      await Deno.rename(partPath, candidate); // no hard links here
      return candidate;
    }
  }
  throw new FileTransferError(`Cannot find a free name for ${name} in ${dir}`);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
