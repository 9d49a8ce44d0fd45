/**
 * The one place a rendezvous protocol client turns a refusal into an error: every protocol's
 * answer carries a status (each protocol's enum, whose success value is "OK") and a statusText.
 */
import { RemoteError } from "../../errors.ts";

/** The part of an answer every rendezvous protocol has. */
export interface StatusAnswer {
  readonly status: string;
  readonly statusText: string;
  /** Set by the account protocol when it throttles: how long to wait, in ms. */
  readonly retryAfterMs?: bigint;
}

/**
 * Returns `answer` when its status is OK.
 * @throws RemoteError with the answer's status, and a message saying what could not be done
 * (`action`, e.g. "log in as alice") and why (the rendezvous's statusText, or else the status).
 */
export function expectOk<A extends StatusAnswer>(answer: A, action: string): A {
  if (answer.status === "OK") return answer;
  const why = answer.statusText || `the rendezvous answered ${answer.status}`;
  const retryAfterMs = answer.retryAfterMs ?? 0n;
  throw new RemoteError(
    `Cannot ${action}: ${why}`,
    answer.status,
    retryAfterMs > 0n ? Number(retryAfterMs) : undefined,
  );
}

/**
 * Returns `answer` when the rendezvous sent one (a response message whose field is unset is a
 * broken answer).
 * @throws RemoteError E_PROTOCOL when it is missing.
 */
export function expectAnswer<A>(answer: A | undefined, action: string): A {
  if (answer !== undefined) return answer;
  throw new RemoteError(`Cannot ${action}: the rendezvous sent no answer`, "E_PROTOCOL");
}
