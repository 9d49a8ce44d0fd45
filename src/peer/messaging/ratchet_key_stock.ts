/**
 * The X25519 key pairs of the Double Ratchet's DH steps, made ahead of need. Receiving a message
 * under a new ratchet key takes a new key pair of ours (the spec's GENERATE_DH() in DHRatchet),
 * and that message's reply waits for it; Signal's Double Ratchet specification lets the pair be
 * made at any time before it is used. So a pair is made after the turn that took the last one,
 * off the path of the message and its reply, and the next DH step takes it at once.
 *
 * A pair is handed out once (taking it removes it from the stock) and lives only in this
 * process's memory until taken; from then on it is part of the session state, sealed at rest
 * like the rest of it. With the stock empty, a pair is made on the spot.
 */
import {
  generateX25519KeyPair,
  type KeyPairSource,
  type X25519KeyPair,
} from "../../crypto/primitives.ts";

/** Key pairs kept ready: one per DH step a turn of the event loop usually makes. */
export const RATCHET_KEY_STOCK = 2;

/** Runs a task once the current turn of the event loop is over (its replies are written). */
export type Later = (task: () => void) => void;

/** Key pairs for DH ratchet steps, each made ahead and handed out once. */
export class RatchetKeyStock {
  readonly #pairs: X25519KeyPair[] = [];
  #refilling = false;

  /**
   * A stock of `size` pairs from `generate`, refilled by a task run `later` (by default after
   * this turn of the event loop: setImmediate).
   */
  constructor(
    private readonly generate: KeyPairSource = generateX25519KeyPair,
    private readonly later: Later = (task) => void setImmediate(task),
    private readonly size = RATCHET_KEY_STOCK,
  ) {}

  /** A key pair no one else was given: one made ahead, else a new one; schedules a refill. */
  readonly take: KeyPairSource = async () => {
    const pair = this.#pairs.shift() ?? await this.generate();
    this.#refill();
    return pair;
  };

  #refill(): void {
    if (this.#refilling) return;
    this.#refilling = true;
    this.later(() => {
      void (async () => {
        try {
          while (this.#pairs.length < this.size) this.#pairs.push(await this.generate());
        } catch {
          // Nothing made ahead: take() makes its pair on the spot, and reports a failure there.
        } finally {
          this.#refilling = false;
        }
      })();
    });
  }
}
