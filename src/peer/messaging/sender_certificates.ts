/**
 * The current certificates of the users messages claim to be from, cached with an expiry: every
 * incoming message's sender key is checked against one, and a key change (or the user logging
 * in again, which may be one) drops it so the next message asks the rendezvous again.
 */
import { StatementError } from "../../crypto/statements.ts";
import { RemoteError } from "../../errors.ts";
import type { Judgement } from "../trust.ts";
import type { Certification } from "./incoming_decision.ts";

/** How long a certification is reused before asking the rendezvous again. */
export const CERTIFICATION_TTL_MS = 60_000;
/** Most certifications kept; the oldest are dropped beyond. */
const MAX_CACHED = 10_000;

/** Asks the rendezvous which key it certifies for a username (and judges it against the pin). */
export interface SenderCertifier {
  /**
   * @throws RemoteError when the lookup is refused; StatementError for a bad certificate.
   */
  resolve(
    username: string,
    now: number,
  ): Promise<Pick<Judgement, "identityKey" | "standing" | "expiresAt" | "warning">>;
}

/** Certifications by username, each kept until its certificate expires or a TTL passes. */
export class SenderCertificates {
  readonly #cache = new Map<string, { certification: Certification; until: number }>();

  constructor(private readonly certifier: SenderCertifier) {}

  /**
   * The current certification of `username`: cached, or asked for. A refused lookup or a bad
   * certificate is a certification that failed (not cached).
   * @throws what the certifier throws besides RemoteError and StatementError (unreachable …).
   */
  async certify(username: string, now: number): Promise<Certification> {
    const cached = this.#cache.get(username);
    if (cached !== undefined && now < cached.until) return cached.certification;
    this.#cache.delete(username);
    let user: Awaited<ReturnType<SenderCertifier["resolve"]>>;
    try {
      user = await this.certifier.resolve(username, now);
    } catch (err: unknown) {
      if (err instanceof RemoteError || err instanceof StatementError) {
        return { certified: false, username, reason: err.message };
      }
      throw err;
    }
    const certification: Certification = {
      certified: true,
      username,
      identityKey: user.identityKey,
      standing: user.standing,
      ...(user.warning === undefined ? {} : { warning: user.warning }),
    };
    if (this.#cache.size >= MAX_CACHED) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(username, {
      certification,
      until: Math.min(user.expiresAt, now + CERTIFICATION_TTL_MS),
    });
    return certification;
  }

  /** Drops `username`'s certification: the next message from it asks the rendezvous again. */
  forget(username: string): void {
    this.#cache.delete(username);
  }
}
