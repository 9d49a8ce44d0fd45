/**
 * One bench run: the raw baseline, OPAQUE logins, DISCOVER, rendezvous memory, chat messages, the
 * crypto primitives, the post-quantum session setup and the relay, measured in that order in one process
 * (servers and the far peer each in a child process), returned as report sections.
 */
import type { BenchOptions, SectionName } from "./args.ts";
import { LOGINS_IN_FLIGHT } from "./clients.ts";
import { benchDiscover } from "./discover.ts";
import { benchFederation, type FederationResult } from "./federation.ts";
import { benchFiles, type FileResult } from "./files.ts";
import { benchLoginCapacity, benchLoginsEndToEnd } from "./logins.ts";
import { benchMailbox, type MailboxResult } from "./mailbox.ts";
import { type Measurement, perSecond, serverCpuMsPerOp, serverCpuPercent } from "./measure.ts";
import { MAX_MAIL_PER_FETCH, PRESENCE_HEARTBEAT } from "../src/protocol/limits.ts";
import {
  benchRendezvousMemory,
  FOLLOWED_NEIGHBOURS,
  type MemoryResult,
  type RestProfile,
} from "./memory.ts";
import type { Share } from "./cpu_profile.ts";
import { type BeatWindow, perHeartbeatMs } from "./heartbeats.ts";
import { benchMessageCosts } from "./message_costs.ts";
import { benchMessages } from "./messages.ts";
import {
  messageSections,
  primitivesSection,
  roomFailedSection,
  roomSection,
} from "./message_report.ts";
import { benchPaste, type PasteResult } from "./paste.ts";
import { benchPqxdh } from "./pqxdh.ts";
import { benchPrimitives } from "./primitives.ts";
import { benchRoomFanout } from "./rooms.ts";
import { benchRelay } from "./relay.ts";
import { benchScale } from "./scale.ts";
import { scaleSection } from "./scale_report.ts";
import { benchRawBaseline, ECHO_PAYLOAD_BYTES, type RawBaseline } from "./raw_baseline.ts";
import type { Row, Section } from "./report.ts";
import { spawnServerProcess } from "./server_process.ts";
import { benchStartup, type StartupResult } from "./startup.ts";

/** The shape of the run; the numbers the brief asks for. */
export const PLAN = {
  loginEndToEnd: { clients: 4, total: 20 },
  loginCapacity: { clients: LOGINS_IN_FLIGHT },
  discover: { registered: 100, limit: 10, clients: [1, 4] },
  memory: { batch: 50, timeoutMs: 5 * 60_000 },
  scale: { watchers: 1000, rounds: 5, restSeconds: 30, joinStep: 1000 },
  messages: { warmup: 30, roundTrips: 300, pipelinedTimeoutMs: 120_000 },
  messageCosts: { messages: 512, batch: 32 },
  rooms: {
    members: 50,
    perProcess: 10,
    messages: 20,
    roundTrips: 100,
    setupTimeoutMs: 6 * 60_000,
    messageTimeoutMs: 60_000,
  },
  mailbox: { depositors: [1, 4], recipients: 20, fill: 5000 },
  files: { bytes: 64 * 1024 * 1024 },
  primitives: { seconds: 1 },
  startup: { runs: 10 },
  pqxdh: { seconds: 1 },
  federation: { contacts: 5, recipients: 20 },
} as const;

/** Runs the sections `options.only` names (all by default); `progress` hears what is starting. */
export async function runBench(
  options: BenchOptions,
  progress: (message: string) => void,
): Promise<Section[]> {
  const wants = (name: SectionName) => options.only === undefined || options.only.has(name);
  const sections: Section[] = [];
  if (wants("raw") || wants("logins") || wants("discover")) {
    progress("raw libp2p baseline (echo)");
    const raw = await benchRawBaseline({
      seconds: options.seconds,
      freshClients: [1, PLAN.loginCapacity.clients],
      longLivedClients: PLAN.discover.clients,
    });
    if (wants("raw")) sections.push(rawSection(raw));
    if (wants("logins") || wants("discover")) {
      sections.push(...await rendezvousSections(raw, options, wants, progress));
    }
  }
  if (wants("memory")) {
    progress(`rendezvous memory with ${options.peers} logged-in peers`);
    const memory = await benchRendezvousMemory({
      ...PLAN.memory,
      peers: options.peers,
      progress: (joined, seconds) => progress(`  ${joined} peers joined (${seconds.toFixed(0)} s)`),
    });
    sections.push(memorySection(memory));
  }
  if (wants("scale")) {
    progress(`rendezvous at scale: ${options.peers} peers in ${options.processes} processes`);
    const scale = await benchScale({
      ...PLAN.scale,
      peers: options.peers,
      processes: options.processes,
      progress: (message) => progress(`  ${message}`),
    });
    sections.push(scaleSection(scale));
  }
  if (wants("messages")) {
    const plan = { ...PLAN.messages, pipelined: options.messages };
    progress(
      `chat messages: ${plan.roundTrips} round trips, ${plan.pipelined} pipelined, raw echo`,
    );
    const messages = await benchMessages(plan);
    progress(
      `per-message costs in isolation (${PLAN.messageCosts.messages} messages, 1 and ` +
        `${PLAN.messageCosts.batch} per frame)`,
    );
    const costs = {
      batch: PLAN.messageCosts.batch,
      single: await benchMessageCosts(PLAN.messageCosts.messages, 1),
      batched: await benchMessageCosts(PLAN.messageCosts.messages, PLAN.messageCosts.batch),
    };
    sections.push(...messageSections(messages, costs));
  }
  if (wants("rooms")) {
    progress(
      `room fan-out: ${PLAN.rooms.members} members in ` +
        `${Math.ceil(PLAN.rooms.members / PLAN.rooms.perProcess)} processes (the room forms first)`,
    );
    // The room takes minutes to form on a loaded machine; its failure leaves the rest standing.
    const room = await benchRoomFanout(PLAN.rooms).catch((err: unknown) => err as Error);
    sections.push(room instanceof Error ? roomFailedSection(room) : roomSection(room));
  }
  if (wants("mailbox")) {
    progress(
      `mailbox: deposits (${PLAN.mailbox.depositors.join(", ")} depositors), ` +
        `fetch + ack of ${PLAN.mailbox.fill} mails, raw echo`,
    );
    sections.push(
      mailboxSection(await benchMailbox({ ...PLAN.mailbox, seconds: options.seconds })),
    );
  }
  if (wants("files")) {
    progress(`file transfer: ${PLAN.files.bytes / 1024 ** 2} MiB alice → bob, raw stream`);
    sections.push(fileSection(await benchFiles(PLAN.files.bytes)));
  }
  if (wants("primitives")) {
    progress("primitives: WebCrypto against @noble");
    sections.push(primitivesSection(await benchPrimitives(PLAN.primitives.seconds)));
  }
  if (wants("startup")) {
    progress(`cold start: ${PLAN.startup.runs} starts of each, bundle vs sources vs empty script`);
    sections.push(startupSection(await benchStartup(PLAN.startup.runs)));
  }
  if (wants("pqxdh")) {
    progress("post-quantum session setup: PQXDH against X3DH, ML-KEM-768 against 1024");
    sections.push(...await benchPqxdh(PLAN.pqxdh.seconds));
  }
  if (wants("paste")) {
    progress("paste handling in the chat's line editor: 1 KB, 10 KB, 100 KB");
    sections.push(pasteSection(benchPaste()));
  }
  if (wants("relay")) {
    progress("relay: direct vs relayed in the namespace lab (needs root and nft)");
    sections.push(await benchRelay());
  }
  if (wants("federation")) {
    progress(
      `federation: ${PLAN.federation.contacts} first messages to local and to remote contacts, ` +
        "local vs forwarded deposits",
    );
    const plan = { ...PLAN.federation, seconds: options.seconds };
    sections.push(federationSection(await benchFederation(plan)));
  }
  return sections;
}

function federationSection(f: FederationResult): Section {
  const local = (p: "p50" | "p99") => ({
    label: `local first message ${p}`,
    value: f.firstLocal[p],
  });
  return {
    title: "Federation: home and work listing each other, in the bench process on loopback",
    rows: [
      { label: "first message to a local contact, p50", value: f.firstLocal.p50, unit: "ms" },
      { label: "first message to a local contact, p99", value: f.firstLocal.p99, unit: "ms" },
      {
        label: "first message to a remote contact (bob@work), p50",
        value: f.firstRemote.p50,
        unit: "ms",
        baseline: local("p50"),
      },
      {
        label: "first message to a remote contact (bob@work), p99",
        value: f.firstRemote.p99,
        unit: "ms",
        baseline: local("p99"),
      },
      rateRow("local deposits at home, 1 depositor", f.localDeposits, "deposits/s"),
      rateRow(
        "deposits at home for work, forwarded before the answer, 1 depositor",
        f.forwardedDeposits,
        "deposits/s",
        { label: "local deposits/s", value: perSecond(f.localDeposits) },
      ),
    ],
    notes: [
      "a first message: send → the recipient's acknowledgement, with the lookup (through home " +
      "and the vouch, for bob@work), a new PQXDH session and the direct dial; " +
      `${f.firstLocal.samples} contacts each`,
      `a forwarded deposit is committed at home, forwarded to work and committed there before ` +
      `home answers; ${f.queuedAtHome} were only queued at home (work slow) during the run`,
    ],
  };
}

function pasteSection(results: readonly PasteResult[]): Section {
  const rows: Row[] = [];
  for (const r of results) {
    const kb = `${r.bytes / 1024} KB`;
    const baseline = { label: `raw decode ${kb}`, value: r.rawMs };
    rows.push({ label: `raw: UTF-8 decode of ${kb}`, value: r.rawMs, unit: "ms" });
    rows.push({ label: `bracketed paste of ${kb}`, value: r.bracketedMs, unit: "ms", baseline });
    rows.push({
      label: `unbracketed paste of ${kb}`,
      value: r.unbracketedMs,
      unit: "ms",
      baseline,
    });
  }
  return {
    title: "Chat line editor: paste handling (key decoder + editor + one render), median of 21",
    rows,
    notes: [
      "linear: the time per KB stays flat from 1 KB to 100 KB (was quadratic with node:readline)",
    ],
  };
}

async function rendezvousSections(
  raw: RawBaseline,
  options: BenchOptions,
  wants: (name: SectionName) => boolean,
  progress: (message: string) => void,
): Promise<Section[]> {
  const sections: Section[] = [];
  const rendezvous = await spawnServerProcess(
    new URL("./rendezvous_process.ts", import.meta.url),
  );
  try {
    if (wants("logins")) {
      progress(`OPAQUE logins end to end (${PLAN.loginEndToEnd.total}, production Argon2id)`);
      const e2e = await benchLoginsEndToEnd(rendezvous, PLAN.loginEndToEnd);
      progress("OPAQUE login server capacity (cheap client key stretching)");
      const capacity = await benchLoginCapacity(rendezvous, {
        ...PLAN.loginCapacity,
        seconds: options.seconds,
      });
      sections.push(loginSection(raw, e2e, capacity));
    }
    if (wants("discover")) {
      progress(`DISCOVER (${PLAN.discover.registered} registered, limit ${PLAN.discover.limit})`);
      const discover = await benchDiscover(rendezvous, {
        ...PLAN.discover,
        seconds: options.seconds,
      });
      sections.push(discoverSection(raw, discover));
    }
  } finally {
    await rendezvous.stop();
  }
  return sections;
}

function rateRow(label: string, m: Measurement, unit: string, baseline?: Row["baseline"]): Row {
  return {
    label,
    value: perSecond(m),
    unit,
    ...(baseline ? { baseline } : {}),
    serverCpuMsPerOp: serverCpuMsPerOp(m),
    serverCpuPercent: serverCpuPercent(m),
  };
}

function freshBaseline(raw: RawBaseline, clients: number): Row["baseline"] {
  return { label: `raw fresh ×${clients}`, value: perSecond(raw.fresh.get(clients)!) };
}

function longLivedBaseline(raw: RawBaseline, clients: number): Row["baseline"] {
  return { label: `raw long-lived ×${clients}`, value: perSecond(raw.longLived.get(clients)!) };
}

function rawSection(raw: RawBaseline): Section {
  const rows: Row[] = [];
  for (const [n, m] of raw.fresh) {
    rows.push(rateRow(`raw fresh ×${n}: new stream per request, ${n} client(s)`, m, "req/s"));
  }
  for (const [n, m] of raw.longLived) {
    rows.push(rateRow(`raw long-lived ×${n}: one stream per client, ${n} client(s)`, m, "req/s"));
  }
  return {
    title: `Raw libp2p baseline: ${ECHO_PAYLOAD_BYTES}-byte length-prefixed echo, ` +
      "plain createNode node in its own process",
    rows,
  };
}

function loginSection(raw: RawBaseline, e2e: Measurement, capacity: Measurement): Section {
  const { clients, total } = PLAN.loginEndToEnd;
  const cpuPerLogin = serverCpuMsPerOp(capacity);
  const rows = [
    rateRow(
      `end to end, production Argon2id, ${clients} clients, ${total} logins`,
      e2e,
      "logins/s",
      freshBaseline(raw, 1),
    ),
    rateRow(
      `server capacity, cheap client stretching, ${PLAN.loginCapacity.clients} clients`,
      capacity,
      "logins/s",
      freshBaseline(raw, PLAN.loginCapacity.clients),
    ),
  ];
  if (cpuPerLogin !== undefined) {
    rows.push({
      label: "server capacity if CPU-bound (1 core / server CPU per login)",
      value: 1000 / cpuPerLogin,
      unit: "logins/s",
      baseline: freshBaseline(raw, PLAN.loginCapacity.clients),
    });
  }
  return {
    title: "OPAQUE login over /tincan/account/1.0.0 (a fresh stream per login)",
    rows,
    notes: [
      "end to end: bound by the client's Argon2id (RFC 9106 low-memory), which runs on the " +
      "bench's one JavaScript thread, so concurrent clients do not overlap it",
      `capacity: ${LOGINS_IN_FLIGHT} clients because the rendezvous refuses a login from an ` +
      `address with ${LOGINS_IN_FLIGHT} already in flight (throttle.ts), and all bench clients ` +
      "are 127.0.0.1; the clients' own OPAQUE work shares the other core, so the server is not " +
      "saturated (see srv CPU) and the CPU-bound row extrapolates",
    ],
  };
}

function discoverSection(raw: RawBaseline, discover: ReadonlyMap<number, Measurement>): Section {
  const rows: Row[] = [];
  for (const [n, m] of discover) {
    rows.push(rateRow(
      `DISCOVER limit ${PLAN.discover.limit}, ${n} client(s), one stream each`,
      m,
      "req/s",
      longLivedBaseline(raw, n),
    ));
  }
  return {
    title: `DISCOVER over /rendezvous/1.0.0, ${PLAN.discover.registered} peers registered`,
    rows,
  };
}

function memorySection(m: MemoryResult): Section {
  const mib = (kib: number) => kib / 1024;
  const perPeerKiB = (before: number, after: number) => (after - before) / m.peers;
  return {
    title: `Rendezvous memory (own process, /proc VmRSS), ${m.peers} logged-in peers`,
    rows: [
      { label: "RSS idle (after GC)", value: mib(m.idle.rssKiB), unit: "MiB" },
      { label: `RSS with ${m.peers} peers`, value: mib(m.loaded.rssKiB), unit: "MiB" },
      {
        label: `RSS with ${m.peers} peers, after GC`,
        value: mib(m.loadedAfterGc.rssKiB),
        unit: "MiB",
      },
      { label: "peak RSS (VmHWM)", value: mib(m.loadedAfterGc.peakRssKiB), unit: "MiB" },
      {
        label: "RSS per peer: (RSS_N - RSS_idle) / N, both after GC",
        value: perPeerKiB(m.idle.rssKiB, m.loadedAfterGc.rssKiB),
        unit: "KiB/peer",
      },
      {
        label: "  V8 heap reserved (heapTotal), per peer",
        value: perPeerKiB(m.idle.heap.heapTotal, m.loadedAfterGc.heap.heapTotal) / 1024,
        unit: "KiB/peer",
      },
      {
        label: "  V8 heap live (heapUsed after GC), per peer",
        value: perPeerKiB(m.idle.heap.heapUsed, m.loadedAfterGc.heap.heapUsed) / 1024,
        unit: "KiB/peer",
      },
      {
        label: "  V8 external (ArrayBuffers), per peer",
        value: perPeerKiB(m.idle.heap.external, m.loadedAfterGc.heap.external) / 1024,
        unit: "KiB/peer",
      },
      {
        label: "RSS per peer, before the final GC",
        value: perPeerKiB(m.idle.rssKiB, m.loaded.rssKiB),
        unit: "KiB/peer",
      },
      {
        label: "join rate (start, register, log in, REGISTER, presence)",
        value: m.peers / m.joinSeconds,
        unit: "peers/s",
        serverCpuMsPerOp: m.serverCpuMs / m.peers,
        serverCpuPercent: m.serverCpuMs / (m.joinSeconds * 10),
      },
      { label: "server CPU idle, no peer connected", value: m.idleCpuPercent, unit: "% of a core" },
      ...restRows(m),
      ...restProfileRows(m.restProfile),
    ],
    notes: [
      `every peer sends a presence heartbeat every ${PRESENCE_HEARTBEAT.intervalMs / 1000} s ` +
      `± ${PRESENCE_HEARTBEAT.jitter * 100} %; no libp2p ping (connection monitor off)`,
      `peers joined ${PLAN.memory.batch} at a time, each following its ` +
      `${2 * FOLLOWED_NEIGHBOURS} neighbours in joining order; each batch's presence ` +
      `delivered before the next`,
      "each peer keeps its /rendezvous/1.0.0 stream and its presence stream open",
    ],
  };
}

/**
 * The CPU at rest: the rendezvous's, each beside the raw baseline's (a plain libp2p node, the same
 * peers, one echo round trip on a long-lived stream at the heartbeat's schedule).
 */
function restRows(m: MemoryResult): Row[] {
  const { rest, fast, raw } = m;
  const against = (label: string, value: number) => ({ label, value });
  const perBeat = (w: BeatWindow) => w.cpuPercent * 10 / w.heartbeatsPerSecond;
  const slope = perHeartbeatMs(rest, fast);
  const rawSlope = perHeartbeatMs(raw.rest, raw.fast);
  return [
    {
      label: `raw: plain libp2p node, ${m.peers} peers, an echo round trip per heartbeat, at rest`,
      value: raw.rest.cpuPercent,
      unit: "% of a core",
    },
    { label: "  round trips", value: raw.rest.heartbeatsPerSecond, unit: "/s" },
    { label: "  … CPU per round trip (rest / round trips)", value: perBeat(raw.rest), unit: "ms" },
    {
      label: `  … per round trip (slope, ${fastLabel(raw)} as often)`,
      value: rawSlope,
      unit: "ms",
    },
    {
      label: `server CPU at rest with ${m.peers} peers (presence heartbeats)`,
      value: rest.cpuPercent,
      unit: "% of a core",
      baseline: against("raw at rest", raw.rest.cpuPercent),
    },
    { label: "  heartbeats answered", value: rest.heartbeatsPerSecond, unit: "/s" },
    {
      label: "  … CPU per heartbeat (rest / heartbeats)",
      value: perBeat(rest),
      unit: "ms",
      baseline: against("raw per round trip", perBeat(raw.rest)),
    },
    {
      label: `server CPU with ${m.peers} peers silent (no heartbeat in the window)`,
      value: m.quietCpuPercent,
      unit: "% of a core",
    },
    {
      label: `server CPU with every peer beating ${fastLabel(m)} as often`,
      value: fast.cpuPercent,
      unit: "% of a core",
      baseline: against("raw as often", raw.fast.cpuPercent),
    },
    { label: "  heartbeats", value: fast.heartbeatsPerSecond, unit: "/s" },
    {
      label: "  … per heartbeat ((faster - rest) / (heartbeats faster - heartbeats at rest))",
      value: slope,
      unit: "ms",
      baseline: against("raw slope", rawSlope),
    },
    {
      label: "  … being connected, heartbeats apart (rest - heartbeats × cost)",
      value: rest.cpuPercent - rest.heartbeatsPerSecond * slope / 10,
      unit: "% of a core",
    },
    {
      label: `  … projected to 10,000 peers (that × 10,000 / ${m.peers}, heartbeats too)`,
      value: rest.cpuPercent * 10_000 / m.peers,
      unit: "% of a core",
      baseline: against("raw projected", raw.rest.cpuPercent * 10_000 / m.peers),
    },
  ];
}

/** How many times as often the fast window beat, e.g. "4.0×". */
function fastLabel({ rest, fast }: { rest: BeatWindow; fast: BeatWindow }): string {
  return `${(fast.heartbeatsPerSecond / rest.heartbeatsPerSecond).toFixed(1)}×`;
}

/**
 * The rest CPU's profiles: heartbeating, busy time per heartbeat answered by origin and by
 * function; silent, busy time per second.
 */
function restProfileRows({ heartbeats, summary, quiet }: RestProfile): Row[] {
  const perBeat = (ms: number) => ms * 1000 / Math.max(1, heartbeats);
  const share = (kind: string) => (s: Share): Row => ({
    label: `    ${kind} ${s.name} (${s.percentOfBusy.toFixed(0)} % of busy)`,
    value: perBeat(s.ms),
    unit: "µs/heartbeat",
  });
  return [
    {
      label:
        `profile at rest, ${heartbeats} heartbeats in ${(summary.wallMs / 1000).toFixed(0)} s:` +
        " busy time / heartbeat",
      value: perBeat(summary.busyMs),
      unit: "µs/heartbeat",
    },
    ...summary.byOrigin.slice(0, PROFILE_TOP.origins).map(share("self time of")),
    ...summary.byFunction.slice(0, PROFILE_TOP.functions).map(share("self time in")),
    {
      label: `profile silent, ${(quiet.wallMs / 1000).toFixed(0)} s: busy time per second`,
      value: quiet.busyMs * 1000 / quiet.wallMs,
      unit: "ms/s",
    },
    ...quiet.byFunction.slice(0, PROFILE_TOP.origins).map((s) => ({
      label: `    self time in ${s.name} (${s.percentOfBusy.toFixed(0)} % of busy)`,
      value: s.ms * 1000 / quiet.wallMs,
      unit: "ms/s",
    })),
  ];
}

/** How many origins and functions of the rest profile the report lists. */
const PROFILE_TOP = { origins: 8, functions: 15 };

function mailboxSection(m: MailboxResult): Section {
  const rows: Row[] = [];
  const raw = (n: number) => ({ label: `raw long-lived ×${n}`, value: perSecond(m.raw.get(n)!) });
  for (const [n, r] of m.raw) {
    rows.push(
      rateRow(`raw echo of ${m.envelopeBytes} bytes, ${n} client(s), one stream each`, r, "req/s"),
    );
  }
  for (const [n, d] of m.deposits) {
    rows.push(rateRow(`deposits, ${n} depositor(s), one stream each`, d, "deposits/s", raw(n)));
  }
  rows.push(
    rateRow(
      `fetches: FETCH ${MAX_MAIL_PER_FETCH} + ACK, 1 client`,
      m.fetches,
      "fetches/s",
      raw(1),
    ),
  );
  rows.push({
    label: "  mails fetched and acknowledged",
    value: m.fetchedMails / m.fetches.seconds,
    unit: "mails/s",
    baseline: raw(1),
  });
  return {
    title: `Mailbox over /tincan/mailbox/1.0.0: ${m.envelopeBytes}-byte signed envelopes, ` +
      "rendezvous in its own process (SQLite WAL, each deposit committed before its answer)",
    rows,
    notes: [
      "a deposit: the client signs a fresh envelope (Ed25519), the server verifies the " +
      "signature, checks the recipient's key and quota, and commits one row",
      `a fetch returns up to ${MAX_MAIL_PER_FETCH} mails, then one ACK deletes them: two round ` +
      "trips per fetch; the ratio compares fetches/s (and mails/s) with single echo round trips",
    ],
  };
}

function fileSection(f: FileResult): Section {
  const mb = f.bytes / 1e6;
  const mib = f.bytes / 1024 ** 2;
  const raw = { label: "raw stream", value: mb / f.raw.seconds };
  const perMib = (ms: number) => ms / mib;
  const rawCpu = perMib(f.raw.writerCpuMs + f.raw.sinkCpuMs);
  return {
    title: `File transfer over /tincan/file/1.0.0: ${mib} MiB, ` +
      `${f.chunkBytes / 1024} KiB chunks, recipient in its own process`,
    rows: [
      {
        label: "raw libp2p stream, same bytes and writes, a data stream's window",
        value: raw.value,
        unit: "MB/s",
      },
      {
        label: "raw libp2p stream, Yamux's own 256 KiB window",
        value: mb / f.rawYamuxWindow.seconds,
        unit: "MB/s",
        baseline: raw,
      },
      {
        label: "file data phase (stream open → hash verified, reply back)",
        value: mb / f.data.dataSeconds,
        unit: "MB/s",
        baseline: raw,
      },
      {
        label: "file end to end (offer incl. hashing the source → complete)",
        value: mb / f.data.endToEndSeconds,
        unit: "MB/s",
        baseline: raw,
      },
      { label: "raw stream: CPU of both processes per MiB", value: rawCpu, unit: "ms/MiB" },
      {
        label: "file data phase: CPU of both processes per MiB",
        value: perMib(f.data.dataCpuMs),
        unit: "ms/MiB",
        baseline: { label: "raw stream", value: rawCpu },
      },
      {
        label: "file data phase: the sender's CPU per MiB",
        value: perMib(f.data.senderCpuMs),
        unit: "ms/MiB",
        baseline: { label: "raw writer", value: perMib(f.raw.writerCpuMs) },
      },
      {
        label: "file data phase: the recipient's CPU per MiB",
        value: perMib(f.data.recipientCpuMs),
        unit: "ms/MiB",
        baseline: { label: "raw sink", value: perMib(f.raw.sinkCpuMs) },
      },
    ],
    notes: [
      "data phase: ChaCha20-Poly1305 (node:crypto) seal (sender) and open (recipient) per " +
      "chunk, pipelined; reads, SHA-256, writes (overlapping the next batch's opens) and credit " +
      "per 1 MiB batch, with credit-based flow control; end to end adds hashing the file before the offer and " +
      "the offer/accept round trip over the ratchet",
      "a data stream's recipient grants an 8 MiB Yamux window (updates at half); the raw " +
      "baseline gets the same, and the 256 KiB row shows the raw stream without it",
    ],
  };
}

function startupSection(s: StartupResult): Section {
  const floor = { label: "empty deno run", value: s.floor.p50 };
  const rows: Row[] = [
    {
      label: "floor: deno run of an empty script, spawn → exit (p50)",
      value: s.floor.p50,
      unit: "ms",
    },
  ];
  for (const v of s.variants) {
    rows.push(
      {
        label: `${v.label}: --help, spawn → exit (p50)`,
        value: v.help.p50,
        unit: "ms",
        baseline: floor,
      },
      {
        label: `${v.label}: rendezvous, spawn → address printed (p50)`,
        value: v.rendezvousReady.p50,
        unit: "ms",
        baseline: floor,
      },
    );
  }
  return {
    title: `Cold start: a new process each time, ${PLAN.startup.runs} starts of each (bundle ` +
      `${(s.bundleBytes / 1e6).toFixed(1)} MB)`,
    rows,
    notes: [
      "the bundle runs as a compiled binary does: one file, --cached-only, only the compile " +
      "permissions; deno run main.ts resolves the sources and npm packages from Deno's cache",
      "first run: an empty DENO_DIR each time, so V8 has no code cache of the bundle yet",
      "the ratio is to the floor: what every Deno program pays to start and exit",
    ],
  };
}
