/**
 * The mail drop: this peer's use of the rendezvous mailbox — depositing envelopes for offline
 * recipients over one reused stream, and reading our own mail (oldest first) until none is left,
 * acknowledging each batch once it is processed, so only processed mail is deleted.
 */
import { RemoteError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { TincanNode } from "../net/node.ts";
import type { Target } from "../net/dial.ts";
import type { ForwardState } from "../proto/mailbox.ts";
import { type FetchedMail, MailboxClient } from "./clients/mailbox.ts";

/** Batches read in one fetch at most (the mailbox holds at most 10,000 mails of 100 a batch). */
const MAX_FETCH_ROUNDS = 200;

/**
 * Processes a batch of mail; returns the ids that may be deleted. Mail it leaves (after a
 * failure, or when the peer is stopping) stops this read and is fetched again by the next.
 */
export type MailProcessor = (mail: readonly FetchedMail[]) => Promise<bigint[]>;

/** Deposits and fetches at the rendezvous mailbox. */
export class MailDrop {
  #depositor: Promise<MailboxClient> | undefined;
  #fetching: Promise<number> | undefined;

  constructor(
    private readonly node: TincanNode,
    private readonly rendezvous: () => Target,
    private readonly log: Logger,
  ) {}

  /**
   * Leaves `envelope` in `recipient`'s mailbox (at the federated node `server` when given);
   * resolves once the rendezvous committed it — `queuedFor` names the node when our home holds it
   * for later forwarding. A broken stream is reopened once.
   * @throws RemoteError when the mailbox refuses (E_MAILBOX_FULL, E_TOO_LARGE, E_REMOTE_QUOTA …);
   * an Error when the rendezvous cannot be reached.
   */
  async deposit(
    recipient: string,
    envelope: Uint8Array,
    server?: string,
  ): Promise<{ queuedFor?: string }> {
    const { queuedFor } = await this.#withClient((c) => c.depositAt(recipient, envelope, server));
    return queuedFor === undefined ? {} : { queuedFor };
  }

  /**
   * Where our mail for remote users with these ids stands at our home (one state per id).
   * @throws RemoteError when the rendezvous refuses; an Error when it cannot be reached.
   */
  async forwardStatus(messageIds: readonly Uint8Array[]): Promise<ForwardState[]> {
    return await this.#withClient((client) => client.forwardStatus(messageIds));
  }

  /** Runs `request` on the reused stream; a broken stream is reopened once. */
  async #withClient<T>(request: (client: MailboxClient) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      const client = await this.#client();
      try {
        return await request(client);
      } catch (err: unknown) {
        if (err instanceof RemoteError) throw err;
        if (this.#depositor) void this.#depositor.then((c) => c.close()).catch(() => {});
        this.#depositor = undefined;
        if (attempt >= 1) throw err;
      }
    }
  }

  /**
   * Reads our mail until none is left, passing each batch to `process` and acknowledging what
   * it processed. A fetch already running is joined. Returns how many mails were processed.
   */
  fetchAll(process: MailProcessor): Promise<number> {
    this.#fetching ??= this.#fetchAll(process).finally(() => this.#fetching = undefined);
    return this.#fetching;
  }

  /** Closes the deposit stream. */
  async close(): Promise<void> {
    const depositor = this.#depositor;
    this.#depositor = undefined;
    await depositor?.then((c) => c.close()).catch(() => {});
  }

  #client(): Promise<MailboxClient> {
    if (this.#depositor === undefined) {
      const opening = MailboxClient.open(this.node, this.rendezvous());
      this.#depositor = opening;
      opening.catch(() => {
        if (this.#depositor === opening) this.#depositor = undefined;
      });
    }
    return this.#depositor;
  }

  async #fetchAll(process: MailProcessor): Promise<number> {
    const client = await MailboxClient.open(this.node, this.rendezvous());
    let processed = 0;
    try {
      for (let round = 0; round < MAX_FETCH_ROUNDS; round++) {
        const { mail, more } = await client.fetch();
        if (mail.length === 0) break;
        const done = await process(mail);
        await client.acknowledge(done);
        processed += done.length;
        if (done.length < mail.length || !more) break;
      }
    } finally {
      await client.close();
    }
    if (processed > 0) this.log.debug(`processed ${processed} mails from the mailbox`);
    return processed;
  }
}
