/**
 * SESSION_RESET answers to mail (session_reset.ts). A direct envelope is answered on its own
 * stream; mail that no session decrypts came through the rendezvous, so its answer waits in the
 * profile (store/session_resets.ts) until its sender can be reached: the sender's username is
 * found (a contact, or who presence says is on that key), its certified key checked against the
 *  one that signed the mail, and the answers sent on a chat link. Tried after each mail read, when
 * someone comes online and when a chat link comes up.
 */
import type { PeerId } from "@libp2p/interface";
import { bytesEqual } from "../../crypto/bytes.ts";
import type { Logger } from "../../log.ts";
import { Ack } from "../../proto/chat.ts";
import type { SessionResetStore } from "../store/session_resets.ts";
import { peerIdOfKey } from "../trust.ts";

/** What the answers need. */
export interface ResetAnswerPorts {
  readonly store: SessionResetStore;
  /**
   * The username of the user on `peer` (a contact, or online on it: the rendezvous may be
   * asked), if known.
   */
  nameOf(peer: PeerId): string | undefined | Promise<string | undefined>;
  /**
   * The key the rendezvous certifies for `username` (its addresses are then known for dialing).
   * @throws when it cannot be looked up.
   */
  certifiedKey(username: string): Promise<Uint8Array>;
  /**
   * Sends `ack` to `peer` on a chat link.
   * @throws when the peer cannot be reached.
   */
  sendAck(peer: PeerId, ack: Ack): Promise<void>;
  readonly now: () => number;
  readonly log: Logger;
}

/** The SESSION_RESET answers waiting for their senders. */
export class ResetAnswers {
  #delivering: Promise<void> | undefined;

  constructor(private readonly ports: ResetAnswerPorts) {}

  /** Keeps a SESSION_RESET for mail `messageId` signed by `senderKey`, to send when reachable. */
  add(senderKey: Uint8Array, messageId: Uint8Array, reason: string): void {
    this.ports.store.add(senderKey, messageId, reason, this.ports.now());
  }

  /** Sends what waits to every sender that can be reached now; never throws. */
  deliver(): Promise<void> {
    this.#delivering ??= this.#deliver().finally(() => this.#delivering = undefined);
    return this.#delivering;
  }

  async #deliver(): Promise<void> {
    const { store } = this.ports;
    let senders: Uint8Array[];
    try {
      senders = store.senders();
    } catch (err: unknown) {
      this.ports.log.warn(`cannot read the waiting session resets: ${(err as Error).message}`);
      return;
    }
    for (const key of senders) {
      const peer = peerIdOfKey(key);
      const name = await this.ports.nameOf(peer);
      if (name === undefined) continue;
      try {
        if (!bytesEqual(await this.ports.certifiedKey(name), key)) continue;
        for (const { messageId, reason } of store.waiting(key)) {
          await this.ports.sendAck(peer, { messageId, result: Ack.Result.SESSION_RESET, reason });
          store.remove(key, messageId);
        }
      } catch (err: unknown) {
        this.ports.log.debug(
          `cannot ask ${name} to reset our session yet: ${(err as Error).message}`,
        );
      }
    }
  }
}
