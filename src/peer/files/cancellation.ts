/**
 * Calling a transfer off, from either side and at any point before it settles: the transfer
 * fails with a reason that names who cancelled it, its data stream (if one runs) is reset, an
 * incoming partial file is deleted, and the other side hears it (a FileReply CANCELLED over the
 * ratchet, through the outbox, so it arrives even when that side is offline now).
 */
import { FileReply } from "../../proto/file.ts";
import type { TransferRow } from "../../store/file_transfers.ts";
import { toHex } from "../events.ts";
import type { TransferContext } from "./context.ts";
import { FileTransferError } from "./errors.ts";
import type { TransferInfo } from "./events.ts";

const OPEN = ["offered", "accepted"] as const;

/** Cancelling transfers, ours and the other side's. */
export class Cancellation {
  constructor(private readonly ctx: TransferContext) {}

  /**
   * Cancels an open transfer either way (the only open one when `id` is undefined; else a unique
   * prefix of its hex id).
   * @throws FileTransferError when no open transfer matches, or several do.
   */
  async cancel(id?: string): Promise<TransferInfo> {
    const { ctx } = this;
    const row = this.#open(id);
    const reason = `${ctx.peer.username} cancelled it`;
    if (!ctx.settle(row, OPEN, "failed", { reason, reply: FileReply.Result.CANCELLED })) {
      throw new FileTransferError(`transfer ${toHex(row.transferId)} is no longer open`);
    }
    await this.#stop(row, reason);
    return ctx.info(row);
  }

  /** `from` cancelled the transfer `reply` names: a reply about another's transfer is ignored. */
  async onCancelled(from: string, reply: FileReply): Promise<void> {
    const { ctx } = this;
    const row = ctx.store.get(reply.transferId);
    if (row === undefined || row.peer !== from) return;
    const reason = `${from} cancelled it`;
    if (ctx.settle(row, OPEN, "failed", { reason })) await this.#stop(row, reason);
  }

  /** Resets the data stream of the settled `row` and deletes its partial file. */
  async #stop(row: TransferRow, reason: string): Promise<void> {
    this.ctx.resetStream(row, reason);
    if (!row.outgoing && row.partPath !== "") await Deno.remove(row.partPath).catch(() => {});
  }

  /** The open transfer `id` names (a unique hex prefix), or the only one when undefined. */
  #open(id: string | undefined): TransferRow {
    const open = this.ctx.store.list().filter((r) =>
      r.status === "offered" || r.status === "accepted"
    );
    const wanted = id?.toLowerCase() ?? "";
    const matches = open.filter((row) => toHex(row.transferId).startsWith(wanted));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) {
      throw new FileTransferError(
        id === undefined ? "no transfer is open" : `no open transfer ${id}`,
      );
    }
    throw new FileTransferError(
      id === undefined
        ? `${matches.length} transfers are open: name one (${
          matches.map((r) => toHex(r.transferId).slice(0, 8)).join(", ")
        })`
        : `${id} names several transfers`,
    );
  }
}
