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
 * This module is the service and its facade: the sending side is outgoing_transfers.ts, the
 * receiving side incoming_transfers.ts and downloads.ts, calling a transfer off cancellation.ts,
 * what they share transfer_context.ts, what they use of the peer ports.ts.
 */
import { CONTENT_KINDS, PROTOCOL } from "../../protocol/ids.ts";
import { FileReply } from "../../proto/file.ts";
import type { TransferRow } from "../store/file_transfers.ts";
import { DEFAULT_MAX_FILE_BYTES, MAX_FILE_STREAMS_PER_CONNECTION } from "./constants.ts";
import { Cancellation } from "./cancellation.ts";
import type { PeerEvent } from "../events.ts";
import type { ContentHandler, ServedProtocol, Service, ServiceFactory } from "../service.ts";
import type { FilePorts } from "./ports.ts";
import { TransferContext } from "./transfer_context.ts";
import { Downloads } from "./downloads.ts";
import type { FileListener, TransferInfo } from "./events.ts";
import { IncomingTransfers } from "./incoming_transfers.ts";
import { OutgoingTransfers } from "./outgoing_transfers.ts";

export type { FilePorts } from "./ports.ts";

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
}

/**
 * The file-transfer service, for createPeer's services: `{ files: files({ downloadDir }) }`.
 * Downloads an earlier run left unfinished resume once the peer is logged in.
 */
export function files(options: FileTransferOptions = {}): ServiceFactory<FileTransfers> {
  return (ports) => new FileTransfers(ports, options);
}

/** A transfer with where it stands, as `list` returns it. */
export type TransferListing = TransferInfo & { status: TransferRow["status"]; reason: string };

/** File transfers of one peer. */
export class FileTransfers implements Service {
  /** "file/offer" and "file/reply". */
  readonly contentHandlers: Readonly<Record<string, ContentHandler>>;
  /** /tincan/file/1.0.0: the data of our offers, served to their recipients. */
  readonly protocols: Readonly<Record<string, ServedProtocol>>;
  readonly #ctx: TransferContext;
  readonly #outgoing: OutgoingTransfers;
  readonly #incoming: IncomingTransfers;
  readonly #downloads: Downloads;
  readonly #cancellation: Cancellation;

  /** File transfers over `ports`; made by files() when the peer is created. */
  constructor(ports: FilePorts, options: FileTransferOptions = {}) {
    const ctx = new TransferContext(ports);
    this.#ctx = ctx;
    this.#downloads = new Downloads(ctx);
    this.#cancellation = new Cancellation(ctx);
    this.#outgoing = new OutgoingTransfers(ctx, options.chunkBytes);
    this.#incoming = new IncomingTransfers(ctx, this.#downloads, {
      downloadDir: options.downloadDir,
      autoAccept: options.autoAccept ?? false,
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    });
    this.contentHandlers = {
      [CONTENT_KINDS.file.offer]: (m) => this.#incoming.onOffer(m.from, m.payload),
      [CONTENT_KINDS.file.reply]: (m) => {
        const reply = ctx.decodeReply(m.payload);
        if (reply.result === FileReply.Result.CANCELLED) {
          this.#cancellation.onCancelled(m.from, reply);
        } else {
          this.#outgoing.onReply(m.from, reply);
        }
      },
    };
    this.protocols = {
      [PROTOCOL.file]: {
        handler: (stream, remote) => this.#outgoing.serve(stream, remote),
        maxInboundStreams: MAX_FILE_STREAMS_PER_CONNECTION,
      },
    };
  }

  /** A failed offer is rejected; a sender back online resumes its downloads. */
  onPeerEvent(event: PeerEvent): void {
    if (event.type === "failed") this.#outgoing.onOfferFailed(event.id, event.reason);
    if (event.type === "presence" && event.online) this.#downloads.resume(event.username);
  }

  /** Resumes the downloads an earlier run left unfinished (the peer is logged in). */
  started(): void {
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
    await this.#downloads.stop();
  }
}
