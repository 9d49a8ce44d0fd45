/**
 * The file side of `tincan listen --accept-files DIR` (a helper of listen.ts): accept every
 * offered file into DIR and report each.
 */
import type { FileEvent } from "../peer/files/events.ts";
import { files, type FileTransfers } from "../peer/files/file_transfers.ts";
import { formatBytes } from "../units.ts";
import type { ServiceFactory } from "../peer/service.ts";
import { progressBars } from "./file_progress.ts";
import type { CliIO } from "./io.ts";
import { sanitize } from "./repl/format.ts";

/** Help lines of the file flags of `listen`. */
export const LISTEN_FILES_HELP =
  `  --accept-files DIR      accept every offered file into DIR (made if missing); each
                          received file prints a line (--json: {"type":"file",…})
  --max-file-size SIZE    refuse larger offers (default 2GiB; e.g. 500MB, 64KiB)`;

/** The --json line of a received file. */
export function fileJson(event: Extract<FileEvent, { type: "file-complete" }>): string {
  const t = event.transfer;
  return JSON.stringify({
    type: "file",
    id: t.id,
    from: t.peer,
    name: t.name,
    path: t.path,
    size: t.size,
    sha256: t.sha256,
  });
}

/** The file-transfer service that accepts every offer into `dir` (for the peer's services). */
export function acceptingFiles(
  options: { dir: string; maxFileBytes: number | undefined },
): ServiceFactory<FileTransfers> {
  return files({
    downloadDir: options.dir,
    autoAccept: true,
    ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
  });
}

/** Reports received files on `io` (and progress bars on a terminal). */
export function reportFiles(files: FileTransfers, options: { json: boolean }, io: CliIO): void {
  if (io.errStream.isTerminal()) files.on(progressBars((text) => io.errStream.write(text)));
  files.on((event) => {
    const t = event.transfer;
    if (t.outgoing) return;
    if (event.type === "file-offered") {
      io.err(`tincan: ${t.peer} offers ${sanitize(t.name)} (${formatBytes(t.size)}); accepting`);
    } else if (event.type === "file-complete") {
      io.out(
        options.json
          ? fileJson(event)
          : `${t.peer} sent ${sanitize(t.name)} (${formatBytes(t.size)}) → ${sanitize(t.path)}`,
      );
    } else if (event.type === "file-failed") {
      io.err(`tincan: the file ${sanitize(t.name)} from ${t.peer} failed: ${event.reason}`);
    }
  });
}
