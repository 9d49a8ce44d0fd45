/**
 * Draining a backlog for a federated node: mail queued at home while `work` was down goes out
 * several forwards at a time once `work` is back (not one round trip per envelope), and each
 * envelope still leaves home's queue only on work's own answer for it — once. `work` here is a
 * real libp2p node answering each DEPOSIT after a delay and counting how many are in flight.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { newMessageId } from "../../src/crypto/envelope.ts";
import { toHex } from "../../src/crypto/bytes.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { FederationRequest, FederationStatus } from "../../src/proto/federation.ts";
import { ForwardState, MailboxRequest, MailboxStatus } from "../../src/proto/mailbox.ts";
import { FORWARDS_IN_FLIGHT } from "../../src/rendezvous/federation/forwarder.ts";
import { federationResponse } from "../../src/rendezvous/federation/federation_response.ts";
import {
  askMailbox,
  depositAt,
  federationAnswers,
  homeListingStandIn,
  standInNode,
} from "./federation_helpers.ts";
import { loggedInClient, stopAll, waitFor } from "./harness.ts";
import { testEnvelope } from "./mailbox_helpers.ts";

const ANSWER_AFTER_MS = 150;
const BACKLOG = 16;

Deno.test("federation: a backlog for work is forwarded several at a time, each envelope once", async () => {
  const { home, homeNode, workKey, port } = await homeListingStandIn();
  const aliceKey = await generateKeyPair("Ed25519");
  const alice = await loggedInClient(home.address, "alice", "pw-alice", aliceKey);
  let work: TincanNode | undefined;
  try {
    // work is down: every deposit is queued at home.
    await waitFor("the link to work to be down", () => homeNode.federation.links.isDown("work"));
    const bob = await generateKeyPair("Ed25519");
    const ids: Uint8Array[] = [];
    for (let i = 0; i < BACKLOG; i++) {
      const messageId = newMessageId();
      ids.push(messageId);
      const sent = await depositAt(
        alice,
        home.address,
        "bob",
        "work",
        await testEnvelope(aliceKey, bob.publicKey.raw, 32, messageId),
      );
      assert.equal(sent.status, MailboxStatus.OK, sent.statusText);
      assert.equal(sent.queuedFor, "work");
    }

    // work comes up, slow: each DEPOSIT answered OK after ANSWER_AFTER_MS.
    let inFlight = 0;
    let most = 0;
    const received = new Map<string, number>();
    work = await standInNode(
      workKey,
      port,
      "slow work",
      federationAnswers(async (request) => {
        if (request.type === FederationRequest.Type.DEPOSIT) {
          inFlight++;
          most = Math.max(most, inFlight);
          const key = toHex(request.envelope);
          received.set(key, (received.get(key) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, ANSWER_AFTER_MS));
          inFlight--;
        }
        return federationResponse(FederationStatus.OK, "", { name: "work" });
      }),
    );
    const started = performance.now();
    await waitFor("the backlog to reach work", async () => {
      const state = await askMailbox(alice, home.address, {
        type: MailboxRequest.Type.FORWARD_STATUS,
        forwardQuery: { messageIds: ids },
      });
      return state.forwards.every((f) => f.state === ForwardState.State.DELIVERED);
    }, 30_000);
    const took = performance.now() - started;
    assert.ok(most > 1, `forwards in flight at once: ${most}`);
    assert.ok(most <= FORWARDS_IN_FLIGHT, `at most ${FORWARDS_IN_FLIGHT} in flight, not ${most}`);
    assert.ok(
      took < BACKLOG * ANSWER_AFTER_MS,
      `${BACKLOG} forwards took ${took.toFixed(0)} ms: one at a time would take ${
        BACKLOG * ANSWER_AFTER_MS
      }`,
    );
    assert.equal(received.size, BACKLOG);
    assert.deepEqual([...new Set(received.values())], [1], "each envelope forwarded once");
    assert.equal(homeNode.federation.nodes()[0]?.queuedMail, 0);
  } finally {
    await stopAll(alice, work, homeNode);
  }
});
