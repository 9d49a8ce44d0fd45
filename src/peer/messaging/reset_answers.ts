/**
 * SESSION_RESET answers to mail (session_reset.ts). A direct envelope is answered on its own
 * stream; mail that no session decrypts came through the rendezvous, so its answer waits here
 * until its sender can be reached: the sender's username is found (a contact, or who presence
 * says is on that key), its certified key checked against the one that signed the mail, and the
 * answers sent on a chat link. Kept in memory, bounded; tried after each mail read, when someone
 * comes online and when a chat link comes up.
 */
import type { PeerId } from "@libp2p/interface";
import { bytesEqual, toHex } from "../../crypto/bytes.ts";
import type { Logger } from "../../log.ts";
import { Ack } from "../../proto/chat.ts";
import { peerIdOfKey } from "../trust.ts";

/** Senders with answers waiting, at most. */
const MAX_SENDERS = 1000;
/** Answers waiting for one sender, at most (the oldest are dropped beyond). */
const MAX_PER_SENDER = 200;

/** What the answers need. */
export interface ResetAnswerPorts {
  /** The username of the user on `peer` (a contact, or online on it), if known. */
  nameOf(peer: PeerId): string | undefined;
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
  readonly log: Logger;
}

/** The SESSION_RESET answers waiting for their senders. */
export class ResetAnswers {
  readonly #waiting = new Map<string, { key: Uint8Array; acks: Map<string, Ack> }>();
  #delivering: Promise<void> | undefined;

  constructor(private readonly ports: ResetAnswerPorts) {}

  /** Keeps a SESSION_RESET for mail `messageId` signed by `senderKey`, to send when reachable. */
  add(senderKey: Uint8Array, messageId: Uint8Array, reason: string): void {
    const hex = toHex(senderKey);
    let sender = this.#waiting.get(hex);
    if (sender === undefined) {
      if (this.#waiting.size >= MAX_SENDERS) return;
      this.#waiting.set(hex, sender = { key: senderKey, acks: new Map() });
    }
    sender.acks.set(toHex(messageId), { messageId, result: Ack.Result.SESSION_RESET, reason });
    if (sender.acks.size > MAX_PER_SENDER) {
      const oldest = sender.acks.keys().next().value;
      if (oldest !== undefined) sender.acks.delete(oldest);
    }
  }

  /** Sends what waits to every sender that can be reached now; never throws. */
  deliver(): Promise<void> {
    this.#delivering ??= this.#deliver().finally(() => this.#delivering = undefined);
    return this.#delivering;
  }

  async #deliver(): Promise<void> {
    for (const [hex, { key, acks }] of [...this.#waiting]) {
      const peer = peerIdOfKey(key);
      const name = this.ports.nameOf(peer);
      if (name === undefined) continue;
      try {
        if (!bytesEqual(await this.ports.certifiedKey(name), key)) continue;
        for (const [id, ack] of [...acks]) {
          await this.ports.sendAck(peer, ack);
          acks.delete(id);
        }
        this.#waiting.delete(hex);
      } catch (err: unknown) {
        this.ports.log.debug(
          `cannot ask ${name} to reset our session yet: ${(err as Error).message}`,
        );
      }
    }
  }
}
