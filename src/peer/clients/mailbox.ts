/**
 * The client side of /tincan/mailbox/1.0.0: deposit a sealed envelope for an offline user, fetch
 * our own mail, acknowledge it. One stream carries many requests, one at a time, in order.
 */
import { FramedStream } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import { type ForwardState, MailboxRequest, MailboxResponse } from "../../proto/mailbox.ts";
import { FRAMES, MAX_FORWARD_STATUS_IDS, MAX_MAIL_PER_FETCH } from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { openStream, type Target } from "../../net/dial.ts";
import { expectOk } from "./expect_ok.ts";

/** One fetched mail. */
export interface FetchedMail {
  readonly id: bigint;
  readonly envelope: Uint8Array;
  readonly depositedAt: number;
}

const EMPTY: MailboxRequest = {
  type: MailboxRequest.Type.DEPOSIT,
  recipient: "",
  envelope: new Uint8Array(0),
  limit: 0,
  ids: [],
};

/** A mailbox stream to the rendezvous. */
export class MailboxClient {
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly framed: FramedStream<MailboxResponse, MailboxRequest>,
  ) {}

  /** Opens a mailbox stream to `rendezvous`. */
  static async open(node: TincanNode, rendezvous: Target): Promise<MailboxClient> {
    const stream = await openStream(node, rendezvous, PROTOCOL.mailbox);
    return new MailboxClient(
      new FramedStream(stream, MailboxResponse, MailboxRequest, FRAMES.mailboxResponse, {
        limits: { mail: MAX_MAIL_PER_FETCH, forwards: MAX_FORWARD_STATUS_IDS },
      }),
    );
  }

  /**
   * Leaves `envelope` in `recipient`'s mailbox; returns the mail's id once it is committed.
   * @throws RemoteError E_MAILBOX_FULL, E_TOO_LARGE, E_WRONG_RECIPIENT, E_NOT_FOUND, …
   */
  async deposit(recipient: string, envelope: Uint8Array): Promise<bigint> {
    return (await this.depositAt(recipient, envelope, undefined)).id;
  }

  /**
   * Leaves `envelope` in `recipient`'s mailbox at the federated node `server` (through our home;
   * undefined: at our home); resolves once it is committed — there, or (`queuedFor`) in our home's
   * forwarding queue for that node. Returns the mail's id (0 when queued at our home).
   * @throws RemoteError E_MAILBOX_FULL, E_TOO_LARGE, E_WRONG_RECIPIENT, E_NOT_FOUND,
   * E_REMOTE_QUOTA, E_UNKNOWN_SERVER …
   */
  async depositAt(
    recipient: string,
    envelope: Uint8Array,
    server: string | undefined,
  ): Promise<{ id: bigint; queuedFor?: string }> {
    const response = await this.#ask(
      {
        ...EMPTY,
        type: MailboxRequest.Type.DEPOSIT,
        recipient,
        envelope,
        ...(server === undefined ? {} : { server }),
      },
      `leave a message in ${server === undefined ? recipient : `${recipient}@${server}`}'s mailbox`,
    );
    return { id: response.id, ...(response.queuedFor ? { queuedFor: response.queuedFor } : {}) };
  }

  /**
   * Where our mail for remote users with these message ids stands at our home, one state per id
   * in order (at most MAX_FORWARD_STATUS_IDS).
   * @throws RemoteError when the rendezvous refuses.
   */
  async forwardStatus(messageIds: readonly Uint8Array[]): Promise<ForwardState[]> {
    const response = await this.#ask(
      {
        ...EMPTY,
        type: MailboxRequest.Type.FORWARD_STATUS,
        forwardQuery: { messageIds: [...messageIds] },
      },
      "ask where forwarded mail stands",
    );
    return response.forwards;
  }

  /**
   * Our oldest mail (at most `limit`), and whether more is waiting.
   * @throws RemoteError E_NOT_AUTHORIZED when not logged in.
   */
  async fetch(limit = MAX_MAIL_PER_FETCH): Promise<{ mail: FetchedMail[]; more: boolean }> {
    const response = await this.#ask(
      { ...EMPTY, type: MailboxRequest.Type.FETCH, limit },
      "fetch mail",
    );
    return {
      mail: response.mail.map((m) => ({
        id: m.id,
        envelope: m.envelope,
        depositedAt: Number(m.depositedAt),
      })),
      more: response.more,
    };
  }

  /** Deletes our mail with these ids (processed); returns how many the rendezvous deleted. */
  async acknowledge(ids: readonly bigint[]): Promise<number> {
    if (ids.length === 0) return 0;
    const response = await this.#ask(
      { ...EMPTY, type: MailboxRequest.Type.ACK, ids: [...ids] },
      "acknowledge mail",
    );
    return response.deleted;
  }

  /** Closes the stream. */
  async close(): Promise<void> {
    await this.framed.close();
  }

  #ask(request: MailboxRequest, action: string): Promise<MailboxResponse> {
    const run = this.#queue.then(async () => {
      await this.framed.write(request);
      return expectOk(await this.framed.read(), action);
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}
