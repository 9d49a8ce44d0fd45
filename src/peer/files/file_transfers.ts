/**
 * File transfer between two users: offers and replies travel end to end encrypted over the
 * Double Ratchet (content kinds "file/offer" and "file/reply", through the outbox), the data over
 * /tincan/file/1.0.0 (data_transfer.ts), which the recipient opens and the sender serves only to
 * the Noise-authenticated peer whose trusted key is the offer's counterpart.
 *
 * The recipient keeps the partial file and, in the peer database, how many chunks of it are
 * verified; a download cut by a disconnect (or a restart of either side) resumes from there
 * (downloads.ts). The complete file is kept (under a safe, free name) only when its SHA-256
 * matches the offer; otherwise the partial file is deleted and both sides hear why.
 *
 * This module is the facade: the sending side is outgoing_transfers.ts, the receiving side
 * incoming_transfers.ts and downloads.ts, calling a transfer off cancellation.ts, what they share
 * context.ts.
 */
import { CONTENT_KINDS, PROTOCOL } from "../../protocol/ids.ts";
import { guarded } from "../../net/serve.ts";
import { FileReply } from "../../proto/file.ts";
import type { TransferRow } from "../store/file_transfers.ts";
import { DEFAULT_MAX_FILE_BYTES, MAX_FILE_STREAMS_PER_CONNECTION } from "./constants.ts";
import { Cancellation } from "./cancellation.ts";
import { type FilePeer, type FileProfile, TransferContext } from "./context.ts";
import { Downloads } from "./downloads.ts";
import type { FileListener, TransferInfo } from "./events.ts";
import { IncomingTransfers } from "./incoming_transfers.ts";
import { OutgoingTransfers } from "./outgoing_transfers.ts";

export type { FilePeer, FileProfile } from "./context.ts";

/** How file transfers behave. */
export interface FileTransferOptions {
  /** Where accepted files go unless `accept` names another directory. */
  readonly downloadDir?: string;
  /** Accept every offer into `downloadDir` at once (`tincan listen --accept-files DIR`). */
  readonly autoAccept?: boolean;
  /** Larger offers are refused; default DEFAULT_MAX_FILE_BYTES (2 GiB). */
  readonly maxFileBytes?: number;
  /** Plaintext bytes per chunk of our offers; default DEFAULT_CHUNK_BYTES. */
  readonly chunkBytes?: number;
  /** The clock, in ms; default Date.now. */
  readonly now?: () => number;
}

/** A transfer with where it stands, as `list` returns it. */
export type TransferListing = TransferInfo & { status: TransferRow["status"]; reason: string };

/** File transfers of one running peer. */
export class FileTransfers {
  readonly #ctx: TransferContext;
  readonly #outgoing: OutgoingTransfers;
  readonly #incoming: IncomingTransfers;
  readonly #downloads: Downloads;
  readonly #cancellation: Cancellation;
  readonly #stopPeerEvents: () => void;

  private constructor(peer: FilePeer, profile: FileProfile, options: FileTransferOptions) {
    const ctx = new TransferContext(peer, profile, options.now ?? Date.now);
    this.#ctx = ctx;
    this.#downloads = new Downloads(ctx);
    this.#cancellation = new Cancellation(ctx);
    this.#outgoing = new OutgoingTransfers(ctx, options.chunkBytes);
    this.#incoming = new IncomingTransfers(ctx, this.#downloads, {
      downloadDir: options.downloadDir,
      autoAccept: options.autoAccept ?? false,
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    });
    peer.handleContent(CONTENT_KINDS.file.offer, (m) => this.#incoming.onOffer(m.from, m.payload));
    peer.handleContent(CONTENT_KINDS.file.reply, async (m) => {
      const reply = ctx.decodeReply(m.payload);
      if (reply.result === FileReply.Result.CANCELLED) {
        await this.#cancellation.onCancelled(m.from, reply);
      } else {
        this.#outgoing.onReply(m.from, reply);
      }
    });
    this.#stopPeerEvents = peer.on((event) => {
      if (event.type === "failed") this.#outgoing.onOfferFailed(event.id, event.reason);
      if (event.type === "presence" && event.online) this.#downloads.resume(event.username);
    });
  }

  /**
   * Registers the file content kinds and /tincan/file/1.0.0 on `peer` without resuming
   * anything: call it inside PeerOptions.setup (before the peer accepts messages), so that offers
   * read from the mailbox at login are handled, then `resume()` once Peer.start returns.
   * @throws RangeError when file content handlers are already registered on `peer`.
   */
  static async attach(
    peer: FilePeer,
    profile: FileProfile,
    options: FileTransferOptions = {},
  ): Promise<FileTransfers> {
    const files = new FileTransfers(peer, profile, options);
    const outgoing = files.#outgoing;
    const serve = guarded(files.#ctx.log, (s, c) => outgoing.serve(s, c.remotePeer));
    await peer.node.handle(PROTOCOL.file, serve, {
      maxInboundStreams: MAX_FILE_STREAMS_PER_CONNECTION,
    });
    return files;
  }

  /**
   * `attach`, then `resume`: for a peer that is already running (offers that arrived during its
   * login were refused; prefer `attach` in PeerOptions.setup).
   * @throws RangeError when file content handlers are already registered on `peer`.
   */
  static async start(
    peer: FilePeer,
    profile: FileProfile,
    options: FileTransferOptions = {},
  ): Promise<FileTransfers> {
    const files = await FileTransfers.attach(peer, profile, options);
    files.resume();
    return files;
  }

  /** Resumes the downloads an earlier run left unfinished (call once the peer is logged in). */
  resume(): void {
    this.#downloads.resume();
  }

  /** Calls `listener` for every file event; returns a function that stops it. */
  on(listener: FileListener): () => void {
    return this.#ctx.on(listener);
  }

  /** Every transfer, oldest first. */
  list(): TransferListing[] {
    return this.#ctx.store.list().map((row) => ({
      ...this.#ctx.info(row),
      status: row.status,
      reason: row.reason,
    }));
  }

  /** Incoming offers waiting for /accept or /reject, oldest first. */
  pending(): TransferInfo[] {
    return this.#incoming.pending().map((row) => this.#ctx.info(row));
  }

  /**
   * Offers the file at `path` to `to`: hashes it, sends the offer (name, size, SHA-256, a fresh
   * file key) over the ratchet. The data flows once `to` accepts.
   * @throws FileTransferError when `path` is not a readable regular file, or `to` is you.
   */
  async offer(to: string, path: string): Promise<TransferInfo> {
    return await this.#outgoing.offer(to, path);
  }

  /**
   * Accepts an incoming offer (the only pending one when `id` is undefined; else a unique prefix
   * of its hex id) into `dir` (default the download directory) and starts the download.
   * @throws FileTransferError when there is no such pending offer or no directory to save in.
   */
  async accept(id?: string, dir?: string): Promise<TransferInfo> {
    return await this.#incoming.accept(id, dir);
  }

  /**
   * Declines an incoming offer (the only pending one when `id` is undefined).
   * @throws FileTransferError when there is no such pending offer.
   */
  reject(id?: string, reason = "declined"): TransferInfo {
    return this.#incoming.reject(id, reason);
  }

  /**
   * Cancels an open transfer, ours or an incoming one (the only open one when `id` is undefined;
   * else a unique prefix of its hex id): it fails on both sides, its data stream stops and a
   * partial download is deleted.
   * @throws FileTransferError when no open transfer matches, or several do.
   */
  async cancel(id?: string): Promise<TransferInfo> {
    return await this.#cancellation.cancel(id);
  }

  /** Stops downloads and retries (their progress is kept for the next run). */
  async stop(): Promise<void> {
    this.#stopPeerEvents();
    await this.#downloads.stop();
    await Promise.resolve(this.#ctx.peer.node.unhandle(PROTOCOL.file)).catch(() => {});
  }
}
