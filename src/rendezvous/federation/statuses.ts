/**
 * A forwarded deposit's status in the two protocols it crosses: the mailbox's (what the sender's
 * peer sees) and federation's (between the nodes). The numbers and names are the same where the
 * meaning is (federation.proto); this maps by name. Pure.
 */
import { FederationStatus } from "../../proto/federation.ts";
import { MailboxStatus } from "../../proto/mailbox.ts";

// The enum objects also carry protons' codec() function: keep only the names.
const MAILBOX = new Set<string>(Object.values(MailboxStatus).filter((v) => typeof v === "string"));
const FEDERATION = new Set<string>(
  Object.values(FederationStatus).filter((v) => typeof v === "string"),
);

function isMailboxStatus(name: string): name is MailboxStatus {
  return MAILBOX.has(name);
}

function isFederationStatus(name: string): name is FederationStatus {
  return FEDERATION.has(name);
}

/** The federation status of a mailbox answer (E_INTERNAL for one federation has no name for). */
export function asFederationStatus(status: MailboxStatus): FederationStatus {
  return isFederationStatus(status) ? status : FederationStatus.E_INTERNAL;
}

/** The mailbox status of a federation answer, or of a stored status name (E_INTERNAL if none). */
export function asMailboxStatus(status: FederationStatus | string): MailboxStatus {
  return isMailboxStatus(status) ? status : MailboxStatus.E_INTERNAL;
}
