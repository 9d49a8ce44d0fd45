/** What file transfers tell the user interface (the REPL, `listen`, `send-file`, tests). */

/** A transfer as shown to users. */
export interface TransferInfo {
  /** Hex of the 16-byte transfer id. */
  readonly id: string;
  /** The other side's username. */
  readonly peer: string;
  readonly outgoing: boolean;
  /** Outgoing: the base name offered; incoming: the safe name it is saved under. */
  readonly name: string;
  readonly size: number;
  /** Hex of the offered SHA-256. */
  readonly sha256: string;
  /** Incoming: where the file is (once complete) or goes (the directory). Outgoing: the source. */
  readonly path: string;
}

/** Events of file transfers. */
export type FileEvent =
  /** An offer arrived (incoming) or was sent (outgoing). */
  | { readonly type: "file-offered"; readonly transfer: TransferInfo }
  /** The recipient accepted (outgoing), or we did (incoming). */
  | { readonly type: "file-accepted"; readonly transfer: TransferInfo }
  /** The offer was declined or refused (too big, malformed …); `reason` says why. */
  | { readonly type: "file-rejected"; readonly transfer: TransferInfo; readonly reason: string }
  /** Data started flowing on a new stream, from byte `fromByte` (> 0 when resumed). */
  | { readonly type: "file-started"; readonly transfer: TransferInfo; readonly fromByte: number }
  /** `doneBytes` of the file are verified (incoming) or sent (outgoing). */
  | { readonly type: "file-progress"; readonly transfer: TransferInfo; readonly doneBytes: number }
  /** The data stream broke; an incoming transfer is resumed automatically. */
  | { readonly type: "file-interrupted"; readonly transfer: TransferInfo; readonly reason: string }
  /** The recipient verified the SHA-256 and kept the file (at `transfer.path` when incoming). */
  | { readonly type: "file-complete"; readonly transfer: TransferInfo }
  /** The transfer failed for good (hash mismatch: the partial file was deleted). */
  | { readonly type: "file-failed"; readonly transfer: TransferInfo; readonly reason: string };

/** Receives file events. */
export type FileListener = (event: FileEvent) => void;
