/**
 * Reading our mailbox at the rendezvous: fetch until it is empty, process each mail in order,
 * and write one receipt per sender (through the outbox, so it survives a restart) before the
 * batch is acknowledged. A full disk leaves the rest of the mail at the rendezvous for the next
 * read. RendezvousConnection runs a read at login, on "mail waiting" and on a timer.
 */
import { CONTENT_KINDS } from "../protocol/ids.ts";
import type { Logger } from "../log.ts";
import { Receipt, type Refusal } from "../proto/mailbox.ts";
import type { FetchedMail } from "./clients/mailbox.ts";
import type { MailDrop } from "./mail_drop.ts";
import type { Incoming } from "./messaging/incoming.ts";
import type { Outgoing } from "./messaging/outgoing.ts";
import type { ResetAnswers } from "./messaging/reset_answers.ts";
import type { StorageGuard } from "./storage_guard.ts";

/** What the reader works with. */
export interface MailReaderPorts {
  readonly mailDrop: Pick<MailDrop, "fetchAll">;
  readonly incoming: Pick<Incoming, "onMail">;
  readonly outgoing: Pick<Outgoing, "write">;
  /** Tells a full disk (mail then waits at the rendezvous) from a damaged one (fatal). */
  readonly storage: Pick<StorageGuard, "check" | "full" | "writable">;
  /** SESSION_RESET answers to mail no session decrypts, sent once their senders are reachable. */
  readonly resets: Pick<ResetAnswers, "add" | "deliver">;
  /** True once the peer stops: reading ends after the mail in hand. */
  readonly stopping: () => boolean;
  readonly log: Logger;
}

/** The receipts to write after a batch of mail, by sender, with the ids of that sender's mail. */
type Receipts = Map<string, { delivered: Uint8Array[]; refused: Refusal[]; mailIds: bigint[] }>;

/** Reads the mailbox, one read at a time. */
export class MailReader {
  /** The mailbox read running now, and whether another was asked for meanwhile. */
  #reading?: Promise<void> | undefined;
  #readAgain = false;

  /** Nothing is read until `read`. */
  constructor(private readonly ports: MailReaderPorts) {}

  /**
   * Reads our mailbox until it is empty; failures are logged (the next poll tries again). A call
   * while a read runs joins it, and makes it read once more (the new mail may be past its fetch).
   */
  read(): Promise<void> {
    if (this.#reading) {
      this.#readAgain = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        try {
          await this.ports.mailDrop.fetchAll((mail) => this.#processMail(mail));
        } catch (err: unknown) {
          if (!this.ports.stopping()) {
            this.ports.log.warn(`reading the mailbox failed: ${(err as Error).message}`);
          }
        }
      } while (this.#readAgain && !this.ports.stopping());
      void this.ports.resets.deliver();
    })().finally(() => this.#reading = undefined);
    return this.#reading;
  }

  /**
   * Processes fetched mail in order, then writes one receipt to each sender (through the outbox,
   * so it survives a restart) before the batch is acknowledged. Returns the ids processed.
   */
  async #processMail(mail: readonly FetchedMail[]): Promise<bigint[]> {
    const receipts: Receipts = new Map();
    const done: bigint[] = [];
    const { storage } = this.ports;
    let failure: { err: unknown } | undefined;
    try {
      for (const m of mail) {
        if (this.ports.stopping()) break;
        let outcome;
        try {
          outcome = await this.ports.incoming.onMail(m.envelope);
        } catch (err: unknown) {
          // A full disk: this mail and the rest stay at the rendezvous for the next read.
          if (storage.check(err) !== "full") throw err;
          storage.full(mail.length - done.length);
          break;
        }
        done.push(m.id);
        if (outcome.resetBy !== undefined && outcome.messageId !== undefined) {
          this.ports.resets.add(outcome.resetBy, outcome.messageId, outcome.reason ?? "");
          continue; // its sender is asked to reset the session, not told it was refused
        }
        if (outcome.from === undefined || outcome.messageId === undefined || outcome.receipt) {
          continue;
        }
        let receipt = receipts.get(outcome.from);
        if (receipt === undefined) {
          receipts.set(outcome.from, receipt = { delivered: [], refused: [], mailIds: [] });
        }
        receipt.mailIds.push(m.id);
        if (outcome.delivered) receipt.delivered.push(outcome.messageId);
        else receipt.refused.push({ messageId: outcome.messageId, reason: outcome.reason ?? "" });
      }
    } catch (err: unknown) {
      failure = { err };
    }
    await this.#writeReceipts(receipts, mail.length, done);
    if (failure) throw failure.err;
    if (done.length === mail.length) storage.writable();
    return done;
  }

  /**
   * Writes one receipt to each sender (through the outbox, so it survives a restart). When the
   * disk is full, that sender's mail is taken out of `done`: it stays at the rendezvous and is
   * read again (as duplicates, which get their receipt then).
   */
  async #writeReceipts(receipts: Receipts, fetched: number, done: bigint[]): Promise<void> {
    const { storage } = this.ports;
    for (const [to, { delivered, refused, mailIds }] of receipts) {
      try {
        await this.ports.outgoing.write(
          to,
          "",
          CONTENT_KINDS.receipt,
          Receipt.encode({ delivered, refused }),
          true,
        );
      } catch (err: unknown) {
        if (storage.check(err) !== "full") throw err;
        for (const id of mailIds) done.splice(done.indexOf(id), 1);
        storage.full(fetched - done.length);
      }
    }
  }
}
