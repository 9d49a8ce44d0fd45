/** Errors of file transfers that the user interface shows as they are. */

/** A user-facing refusal: no such transfer, wrong state, bad file. */
export class FileTransferError extends Error {
  override name = "FileTransferError";
}
