/**
 * The lines other processes append to files, read as they come: each poll reads only what was
 * appended since the last, so polling a growing log stays cheap (the room bench polls its
 * members' logs every 10 ms while it measures, in the process whose CPU it counts).
 */

/** One file being followed: its handle once it exists, and the start of a line not ended yet. */
interface Tail {
  file?: Deno.FsFile | undefined;
  rest: string;
  readonly decoder: TextDecoder;
}

/** How much one read takes at most. */
const READ_BYTES = 64 * 1024;

/** Files being followed (one not created yet is looked for again at each poll). */
export class LogTails {
  readonly #tails = new Map<string, Tail>();

  /** Follows the file at `path` too, from its start. */
  follow(path: string): void {
    if (!this.#tails.has(path)) this.#tails.set(path, { rest: "", decoder: new TextDecoder() });
  }

  /**
   * The whole lines appended to the files since the last call (without their "\n"), file by
   * file, each file's in order.
   * @throws Error when a file cannot be opened for another reason than not existing yet.
   */
  async newLines(): Promise<string[]> {
    const lines: string[] = [];
    const buffer = new Uint8Array(READ_BYTES);
    for (const [path, tail] of this.#tails) {
      tail.file ??= await Deno.open(path).catch((err: unknown) => {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      });
      if (tail.file === undefined) continue;
      for (let read = await tail.file.read(buffer); read; read = await tail.file.read(buffer)) {
        tail.rest += tail.decoder.decode(buffer.subarray(0, read), { stream: true });
      }
      const parts = tail.rest.split("\n");
      tail.rest = parts.pop()!;
      lines.push(...parts);
    }
    return lines;
  }

  /** Closes the files. */
  close(): void {
    for (const tail of this.#tails.values()) tail.file?.close();
  }
}
