/**
 * Mailbox throughput against a rendezvous in its own process: deposits of signed chat-sized
 * envelopes (one stream per depositor, one request at a time), then fetching and acknowledging
 * a full mailbox in batches; with a raw echo of the same bytes on one long-lived stream to the
 * echo process, measured in the same run, as the baseline.
 */
import { newMessageId, sealEnvelope } from "../src/crypto/envelope.ts";
import { signerFromPrivateKey } from "../src/crypto/primitives.ts";
import { HEADER_BYTES } from "../src/crypto/ratchet.ts";
import { MailboxClient } from "../src/peer/clients/mailbox.ts";
import { MAX_MAIL_PER_FETCH } from "../src/protocol/limits.ts";
import { MAILBOX_LIMITS } from "../src/rendezvous/constants.ts";
import {
  type BenchPeer,
  CHEAP_STRETCHING,
  loggedInClients,
  startClient,
  stopClients,
} from "./clients.ts";
import { EchoSession } from "./echo.ts";
import { measureCount, measureForDuration, type Measurement, runWorkers } from "./measure.ts";
import { spawnServerProcess } from "./server_process.ts";

/** Ciphertext bytes of a bench envelope: a short chat message with its protobuf framing. */
export const MAIL_CIPHERTEXT_BYTES = 100;

/** A signed chat-sized envelope from `from` to `to`, as the mailbox benches deposit. */
export async function envelopeFor(from: BenchPeer, to: BenchPeer): Promise<Uint8Array> {
  const signer = signerFromPrivateKey(from.key);
  return await sealEnvelope(signer, {
    sender: signer.publicKey,
    recipient: to.key.publicKey.raw,
    messageId: newMessageId(),
    timestamp: Date.now(),
    ratchetHeader: new Uint8Array(HEADER_BYTES),
    ciphertext: crypto.getRandomValues(new Uint8Array(MAIL_CIPHERTEXT_BYTES)),
  });
}

/** The mailbox figures of one run. */
export interface MailboxResult {
  /** Bytes of each deposited envelope (and of each raw echo). */
  readonly envelopeBytes: number;
  /** Deposits/s by number of concurrent depositors. */
  readonly deposits: ReadonlyMap<number, Measurement>;
  /** Raw echo round trips/s of the same bytes, by number of concurrent clients. */
  readonly raw: ReadonlyMap<number, Measurement>;
  /** FETCH (≤ MAX_MAIL_PER_FETCH) + ACK rounds emptying a mailbox of `fetchedMails`. */
  readonly fetches: Measurement;
  readonly fetchedMails: number;
}

/** Measures deposits/s for each count in `depositors`, then fetch+ack of `fill` mails. */
export async function benchMailbox(options: {
  readonly seconds: number;
  readonly depositors: readonly number[];
  readonly recipients: number;
  readonly fill: number;
}): Promise<MailboxResult> {
  const maxDepositors = Math.max(...options.depositors);
  // Filling one mailbox takes enough senders to stay within each sender's quota in it.
  const senderCount = Math.max(
    maxDepositors,
    Math.ceil(options.fill / MAILBOX_LIMITS.maxMailPerSender),
  );
  const echo = await spawnServerProcess(new URL("./echo_process.ts", import.meta.url));
  const rendezvous = await spawnServerProcess(new URL("./rendezvous_process.ts", import.meta.url));
  const peers: BenchPeer[] = [];
  try {
    const senders = await loggedInClients(
      rendezvous.address,
      "mbx-s",
      senderCount,
      CHEAP_STRETCHING,
    );
    peers.push(...senders);
    const recipients = await loggedInClients(
      rendezvous.address,
      "mbx-r",
      options.recipients,
      CHEAP_STRETCHING,
    );
    peers.push(...recipients);
    const envelopeBytes = (await envelopeFor(senders[0]!, recipients[0]!)).length;

    // Raw: the same bytes echoed on one long-lived stream per client.
    const rawClients: BenchPeer[] = [];
    for (let i = 0; i < maxDepositors; i++) rawClients.push(await startClient(`mbx-raw-${i}`));
    peers.push(...rawClients);
    const payload = new Uint8Array(envelopeBytes);
    const raw = new Map<number, Measurement>();
    for (const n of options.depositors) {
      const sessions = await Promise.all(
        rawClients.slice(0, n).map((c) => EchoSession.open(c.node, echo.address)),
      );
      raw.set(
        n,
        await measureForDuration({
          workers: n,
          seconds: options.seconds,
          server: echo,
          op: (w) => sessions[w]!.roundTrip(payload),
        }),
      );
    }

    // Deposits: each depositor on its own stream, to recipients in turn (within their quotas).
    const clients = await Promise.all(
      senders.map((s) => MailboxClient.open(s.node, rendezvous.address)),
    );
    const deposits = new Map<number, Measurement>();
    let next = 1; // recipient 0 is kept for the fetch measurement
    const nextRecipient = () => {
      const to = recipients[next]!;
      next = next + 1 < recipients.length ? next + 1 : 1;
      return to;
    };
    for (const n of options.depositors) {
      deposits.set(
        n,
        await measureForDuration({
          workers: n,
          seconds: options.seconds,
          server: rendezvous,
          op: async (w) => {
            const to = nextRecipient();
            await clients[w]!.deposit(to.username, await envelopeFor(senders[w]!, to));
          },
        }),
      );
    }

    // Fetches: fill recipient 0's mailbox, each sender its share, then empty it batch by batch.
    const target = recipients[0]!;
    await runWorkers(clients.length, async (w) => {
      for (let i = w; i < options.fill; i += clients.length) {
        await clients[w]!.deposit(target.username, await envelopeFor(senders[w]!, target));
      }
    });
    await Promise.all(clients.map((c) => c.close()));
    const reader = await MailboxClient.open(target.node, rendezvous.address);
    let fetchedMails = 0;
    try {
      const fetches = await measureCount({
        workers: 1,
        total: Math.ceil(options.fill / MAX_MAIL_PER_FETCH),
        server: rendezvous,
        op: async () => {
          const { mail } = await reader.fetch();
          fetchedMails += mail.length;
          await reader.acknowledge(mail.map((m) => m.id));
        },
      });
      if (fetchedMails !== options.fill) {
        throw new Error(`fetched ${fetchedMails} mails, not the ${options.fill} deposited`);
      }
      return { envelopeBytes, deposits, raw, fetches, fetchedMails };
    } finally {
      await reader.close();
    }
  } finally {
    await stopClients(peers);
    await rendezvous.stop();
    await echo.stop();
  }
}
