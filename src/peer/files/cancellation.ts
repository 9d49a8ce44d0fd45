/**
 * Calling a transfer off, from either side and at any point before it settles: the transfer
 * fails with a reason that names who cancelled it ("you" on the side that did), its data stream (if one runs) is reset, an
 * incoming partial file is deleted, and the other side hears it (a FileReply CANCELLED over the
 * ratchet, through the outbox, so it arrives even when that side is offline now).
 */
import { FileReply } from "../../proto/file.ts";
import type { TransferRow } from "../store/file_transfers.ts";
import { toHex } from "../../crypto/bytes.ts";
import { OPEN_STATUSES, pickTransfer, type TransferContext } from "./transfer_context.ts";
import { FileTransferError } from "./errors.ts";
import type { TransferInfo } from "./events.ts";

/** Cancelling transfers, ours and the other side's. */
export class Cancellation {
  constructor(private readonly ctx: TransferContext) {}

  /**
   * Cancels an open transfer either way (the only open one when `id` is undefined; else a unique
   * prefix of its hex id).
   * @throws FileTransferError when no open transfer matches, or several do.
   */
  // deno-lint-ignore require-await -- a refusal must reject, not throw before a promise exists
  async cancel(id?: string): Promise<TransferInfo> {
    const { ctx } = this;
    const row = this.#open(id);
    const reason = "you cancelled it"; // the other side reads "<our name> cancelled it"
    const settled = ctx.settle(row, OPEN_STATUSES, "failed", {
      reason,
      reply: FileReply.Result.CANCELLED,
      cleanUp: () => this.#stop(row, reason),
    });
    if (!settled) {
      throw new FileTransferError(`transfer ${toHex(row.transferId)} is no longer open`);
    }
    return ctx.info(row);
  }

  /** `from` cancelled the transfer `reply` names: a reply about another's transfer is ignored. */
  onCancelled(from: string, reply: FileReply): void {
    const { ctx } = this;
    const row = ctx.store.get(reply.transferId);
    if (row === undefined || row.peer !== from) return;
    const reason = `${from} cancelled it`;
    ctx.settle(row, OPEN_STATUSES, "failed", { reason, cleanUp: () => this.#stop(row, reason) });
  }

  /**
   * Resets the data stream of the settled `row` and deletes its partial file — before the
   * failure is announced, so whoever hears it finds no partial file.
   */
  #stop(row: TransferRow, reason: string): void {
    this.ctx.resetStream(row, reason);
    if (row.outgoing || row.partPath === "") return;
    try {
      Deno.removeSync(row.partPath);
    } catch (err: unknown) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  /** The open transfer `id` names (a unique hex prefix), or the only one when undefined. */
  #open(id: string | undefined): TransferRow {
    const open = this.ctx.store.list().filter((row) => this.ctx.isOpen(row));
    return pickTransfer(open, id, "transfer", "open");
  }
}
