import assert from "node:assert/strict";
import { FederationStatus } from "../../../src/proto/federation.ts";
import { MailboxStatus } from "../../../src/proto/mailbox.ts";
import {
  asFederationStatus,
  asMailboxStatus,
} from "../../../src/rendezvous/federation/statuses.ts";

Deno.test("statuses map by name between mailbox and federation", () => {
  assert.equal(asFederationStatus(MailboxStatus.E_SENDER_QUOTA), FederationStatus.E_SENDER_QUOTA);
  assert.equal(asFederationStatus(MailboxStatus.E_REMOTE_QUOTA), FederationStatus.E_REMOTE_QUOTA);
  assert.equal(
    asMailboxStatus(FederationStatus.E_WRONG_RECIPIENT),
    MailboxStatus.E_WRONG_RECIPIENT,
  );
  assert.equal(asMailboxStatus("E_MAILBOX_FULL"), MailboxStatus.E_MAILBOX_FULL);
  // one side's statuses the other has no name for
  assert.equal(asFederationStatus(MailboxStatus.E_UNKNOWN_SERVER), FederationStatus.E_INTERNAL);
  assert.equal(asMailboxStatus("codec"), MailboxStatus.E_INTERNAL);
  assert.equal(asMailboxStatus("nonsense"), MailboxStatus.E_INTERNAL);
});
