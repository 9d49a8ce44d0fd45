// deno-lint-ignore-file no-console
/**
 * Post-quantum session setup: the first message to a new contact with PQXDH against X3DH (CPU of
 * each side, bytes of the envelope, of the directory's lookup answer and of a prekey upload; and
 * end to end between two real peers through a real rendezvous, all in this process), and
 * ML-KEM-768 against ML-KEM-1024 (sizes and CPU), the figures behind tincan's choice of 768; and
 * what a user's prekeys take in the rendezvous's SQLite database with and without the KEM prekeys.
 * Run alone: `deno run -A bench/pqxdh.ts`.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { ml_kem1024, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { newMessageId, type PrekeyHeader, sealEnvelope } from "../src/crypto/envelope.ts";
import {
  generateKemKeyPair,
  KEM_PUBLIC_KEY_BYTES,
  kemDecapsulate,
  kemEncapsulate,
} from "../src/crypto/kem.ts";
import { initiate, type PqxdhInitiation, respond } from "../src/crypto/pqxdh.ts";
import { PrekeyKind, signPrekey } from "../src/crypto/prekeys.ts";
import {
  generateX25519KeyPair,
  randomBytes,
  signerFromPrivateKey,
} from "../src/crypto/primitives.ts";
import { ratchetEncrypt, ratchetInitAlice } from "../src/crypto/ratchet.ts";
import {
  DirectoryRequest,
  DirectoryResponse,
  type SignedKey,
  Status,
} from "../src/proto/services.ts";
import { FRAMES } from "../src/protocol/limits.ts";
import { MAX_KEM_ONE_TIME_PREKEYS_STORED } from "../src/rendezvous/constants.ts";
import { AccountStore } from "../src/rendezvous/store/accounts.ts";
import { PrekeyStore } from "../src/rendezvous/store/prekeys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../src/rendezvous/store/schema.ts";
import { openDatabase, selectOne } from "../src/store/database.ts";
import { cpuUsage } from "node:process";
import { fromHex } from "../src/crypto/bytes.ts";
import { multiaddr } from "@multiformats/multiaddr";
import { uploadPrekeys } from "../src/peer/clients/directory.ts";
import type { PeerEvent } from "../src/peer/events.ts";
import { createPeer, type Peer } from "../src/peer/peer.ts";
import { openProfile, type Profile } from "../src/peer/profile.ts";
import { OwnKeyStore, publicForm } from "../src/peer/store/own_keys.ts";
import { startRendezvous } from "../src/rendezvous/server.ts";
import { CHEAP_STRETCHING } from "./clients.ts";
import { opsPerSecond } from "./primitives.ts";
import type { Row, Section } from "./report.ts";

/** One-time prekeys a full pool holds (src/peer/prekey_manager.ts ONE_TIME_POOL). */
const POOL = 100;
/** The first message's plaintext length: a short chat line. */
const TEXT_BYTES = 100;

/** The two parameter sets compared, as @noble/post-quantum gives them. */
const KEMS = [["ML-KEM-768", ml_kem768], ["ML-KEM-1024", ml_kem1024]] as const;

/** A SignedKey with a random key of `bytes` and a random 64-byte signature: sizes only. */
function sizedKey(id: number, bytes: number): SignedKey {
  return { id, publicKey: randomBytes(bytes), signature: randomBytes(64) };
}

/** Bytes of a lookup answer (keys only) and of a full-pool upload, for a KEM key size or none. */
function bundleBytes(kemKeyBytes: number | undefined): { lookup: number; upload: number } {
  const x = (id: number) => sizedKey(id, 32);
  const kem = (id: number) => sizedKey(id, kemKeyBytes ?? 0);
  const lookup = DirectoryResponse.encode({
    status: Status.OK,
    statusText: "",
    certificate: new Uint8Array(0),
    identityDhKey: x(0),
    signedPrekey: x(1),
    oneTimePrekey: x(2),
    peerRecords: [],
    keyLog: [],
    oneTimePrekeysLeft: 0,
    ...(kemKeyBytes === undefined ? {} : { kemLastResortPrekey: kem(3), kemOneTimePrekey: kem(4) }),
  }).length;
  const upload = DirectoryRequest.encode({
    type: DirectoryRequest.Type.UPLOAD_PREKEYS,
    username: "",
    identityDhKey: x(0),
    signedPrekey: x(1),
    oneTimePrekeys: Array.from({ length: POOL }, (_, i) => x(i + 2)),
    withoutOneTimePrekey: false,
    ...(kemKeyBytes === undefined ? {} : {
      kemPrekeys: {
        lastResortPrekey: kem(1),
        oneTimePrekeys: Array.from({ length: POOL }, (_, i) => kem(i + 2)),
      },
    }),
  }).length;
  return { lookup, upload };
}

/** Two parties, Bob with every prekey; the bundles with and without the KEM prekeys. */
async function parties() {
  const aliceKey = await generateKeyPair("Ed25519");
  const bobKey = await generateKeyPair("Ed25519");
  const alice = { identityKey: aliceKey.publicKey.raw, identityDh: await generateX25519KeyPair() };
  const [identityDh, signedPrekey, oneTimePrekey] = [
    await generateX25519KeyPair(),
    await generateX25519KeyPair(),
    await generateX25519KeyPair(),
  ];
  const [kemLastResort, kemOneTime] = [generateKemKeyPair(), generateKemKeyPair()];
  const classic = {
    identityKey: bobKey.publicKey.raw,
    identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, identityDh.publicKey, bobKey),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 1, signedPrekey.publicKey, bobKey),
    oneTimePrekey: await signPrekey(PrekeyKind.OneTime, 2, oneTimePrekey.publicKey, bobKey),
  };
  const pq = {
    ...classic,
    kemLastResortPrekey: await signPrekey(
      PrekeyKind.KemLastResort,
      3,
      kemLastResort.publicKey,
      bobKey,
    ),
    kemOneTimePrekey: await signPrekey(PrekeyKind.KemOneTime, 4, kemOneTime.publicKey, bobKey),
  };
  const bob = { identityKey: classic.identityKey, identityDh, signedPrekey, oneTimePrekey };
  return { alice, aliceSigner: signerFromPrivateKey(aliceKey), bob, kemOneTime, classic, pq };
}

/** Bytes of the sealed first envelope of `init`, carrying a TEXT_BYTES chat line. */
async function envelopeBytes(
  init: PqxdhInitiation,
  sender: Awaited<ReturnType<typeof parties>>,
): Promise<number> {
  const state = await ratchetInitAlice(
    init.sharedKey,
    init.signedPrekeyPublic,
    init.associatedData,
  );
  const { message } = await ratchetEncrypt(state, randomBytes(TEXT_BYTES));
  const prekey: PrekeyHeader = {
    identityDhKey: init.identityDhKey,
    ephemeralKey: init.ephemeralPublic,
    signedPrekeyId: init.signedPrekeyId,
    ...(init.oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId: init.oneTimePrekeyId }),
    ...(init.protocol === "pqxdh" ? { pqxdh: init.pqxdh } : {}),
  };
  return (await sealEnvelope(sender.aliceSigner, {
    sender: sender.alice.identityKey,
    recipient: sender.bob.identityKey,
    messageId: newMessageId(),
    timestamp: Date.now(),
    prekey,
    ratchetHeader: message.header,
    ciphertext: message.ciphertext,
  })).length;
}

/** The rows of one figure with X3DH, then with PQXDH as a ratio to it. */
function against(
  [x3dhLabel, pqLabel]: readonly [string, string],
  unit: string,
  x3dh: number,
  pq: number,
): Row[] {
  return [
    { label: x3dhLabel, value: x3dh, unit },
    { label: pqLabel, value: pq, unit, baseline: { label: "X3DH", value: x3dh } },
  ];
}

/** Milliseconds per call of `op`, measured for `seconds`. */
async function msPerOp(op: () => Promise<unknown> | unknown, seconds: number): Promise<number> {
  return 1000 / await opsPerSecond(op, seconds);
}

/** The first message to a new contact, PQXDH against X3DH: CPU of each side and bytes. */
async function firstMessageSection(seconds: number): Promise<Section> {
  const p = await parties();
  const x3dhInit = await initiate(p.alice, p.classic);
  const pqInit = await initiate(p.alice, p.pq);
  if (pqInit.protocol !== "pqxdh") throw new Error("the PQ bundle did not give PQXDH");
  const message = {
    identityKey: p.alice.identityKey,
    identityDhKey: pqInit.identityDhKey,
    ephemeralKey: pqInit.ephemeralPublic,
    oneTimePrekeyId: 2,
  };
  const cpu = {
    x3dhInitiate: await msPerOp(() => initiate(p.alice, p.classic), seconds),
    pqInitiate: await msPerOp(() => initiate(p.alice, p.pq), seconds),
    x3dhRespond: await msPerOp(() => respond(p.bob, message), seconds),
    pqRespond: await msPerOp(
      () => respond({ ...p.bob, kemPrekey: p.kemOneTime }, { ...message, pqxdh: pqInit.pqxdh }),
      seconds,
    ),
  };
  const x3dhEnvelope = await envelopeBytes(x3dhInit, p);
  const pqEnvelope = await envelopeBytes(pqInit, p);
  const x3dhBundle = bundleBytes(undefined);
  const pqBundle = bundleBytes(ml_kem768.lengths.publicKey);
  const rows: Row[] = [
    ...against(
      ["initiator (verify bundle, agree): X3DH", "initiator: PQXDH"],
      "ms",
      cpu.x3dhInitiate,
      cpu.pqInitiate,
    ),
    ...against(
      ["responder (agree): X3DH", "responder: PQXDH (KEM key from its seed)"],
      "ms",
      cpu.x3dhRespond,
      cpu.pqRespond,
    ),
    ...against(
      [`first envelope, ${TEXT_BYTES} B text: X3DH`, "first envelope: PQXDH"],
      "B",
      x3dhEnvelope,
      pqEnvelope,
    ),
    ...against(
      [
        "lookup answer, keys only: X3DH",
        "lookup answer: PQXDH (+ last-resort and one-time KEM)",
      ],
      "B",
      x3dhBundle.lookup,
      pqBundle.lookup,
    ),
    ...against(
      [
        `upload of a full pool (${POOL} one-time): X3DH`,
        `upload: PQXDH (+ ${POOL} one-time KEM, last-resort)`,
      ],
      "B",
      x3dhBundle.upload,
      pqBundle.upload,
    ),
  ];
  return {
    title: "First message to a new contact: PQXDH (ML-KEM-768) against X3DH",
    rows,
    notes: [
      `the directory request frame limit is ${FRAMES.directory.maxFrameBytes} B: a full ` +
      "PQXDH pool upload goes in one request",
    ],
  };
}

/** ML-KEM-768 against ML-KEM-1024: sizes, CPU, and what they add to the wire. */
async function kemSection(seconds: number): Promise<Section> {
  const rows: Row[] = [];
  const x3dh = bundleBytes(undefined);
  for (const [name, kem] of KEMS) {
    const { publicKey, secretKey } = kem.keygen();
    const { cipherText } = kem.encapsulate(publicKey);
    const bundle = bundleBytes(kem.lengths.publicKey);
    rows.push(
      { label: `${name}: encapsulation key`, value: publicKey.length, unit: "B" },
      { label: `${name}: ciphertext (first message)`, value: cipherText.length, unit: "B" },
      {
        label: `${name}: lookup answer added`,
        value: bundle.lookup - x3dh.lookup,
        unit: "B",
      },
      {
        label: `${name}: pool upload added (${POOL + 1} keys)`,
        value: bundle.upload - x3dh.upload,
        unit: "B",
      },
      { label: `${name}: keygen`, value: await msPerOp(() => kem.keygen(), seconds), unit: "ms" },
      {
        label: `${name}: encapsulate`,
        value: await msPerOp(() => kem.encapsulate(publicKey), seconds),
        unit: "ms",
      },
      {
        label: `${name}: decapsulate (expanded key)`,
        value: await msPerOp(() => kem.decapsulate(cipherText, secretKey), seconds),
        unit: "ms",
      },
    );
  }
  const pair = generateKemKeyPair();
  const { ciphertext } = kemEncapsulate(pair.publicKey);
  rows.push(
    {
      label: "ML-KEM-768 via kem.ts: encapsulate (with the FIPS 203 key check)",
      value: await msPerOp(() => kemEncapsulate(pair.publicKey), seconds),
      unit: "ms",
    },
    {
      label: "ML-KEM-768 via kem.ts: decapsulate from the 64-byte seed",
      value: await msPerOp(() => kemDecapsulate(pair.seed, ciphertext), seconds),
      unit: "ms",
    },
  );
  return {
    title: "ML-KEM-768 against ML-KEM-1024 (@noble/post-quantum, pure JS)",
    rows,
  };
}

/** Users measured per storage figure: enough that page rounding averages out. */
const STORAGE_USERS = 50;

/**
 * Bytes of SQLite pages (page_count × page_size, indexes included) the prekeys of one user take
 * at the rendezvous, averaged over STORAGE_USERS users each publishing X25519 keys with `pool`
 * one-time prekeys and, with `kemPool`, a last-resort ML-KEM-768 prekey and `kemPool` one-time
 * ones. Keys of the real sizes; the store keeps bytes, so random ones do.
 */
function storagePerUser(kemPool: number | undefined): number {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    const bytes = () =>
      Number(
        selectOne<{ n: number }>(
          db,
          "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()",
        )?.n,
      );
    const accounts = new AccountStore(db);
    const usernames = Array.from({ length: STORAGE_USERS }, (_, i) => `user${i}`);
    for (const username of usernames) {
      accounts.create(
        { username, registrationRecord: "r", identityKey: randomBytes(32), createdAt: 0 },
        randomBytes(100),
      );
    }
    const before = bytes();
    const prekeys = new PrekeyStore(db);
    const x = (id: number) => sizedKey(id, 32);
    const kem = (id: number) => sizedKey(id, KEM_PUBLIC_KEY_BYTES);
    for (const username of usernames) {
      prekeys.publish(
        username,
        { identityDhKey: x(0), signedPrekey: x(1) },
        Array.from({ length: POOL }, (_, i) => x(i + 2)),
        POOL,
        0,
        kemPool === undefined ? undefined : {
          lastResortPrekey: kem(1),
          oneTimePrekeys: Array.from({ length: kemPool }, (_, i) => kem(i + 2)),
          maxStored: kemPool,
        },
      );
    }
    return (bytes() - before) / STORAGE_USERS;
  } finally {
    db.close();
  }
}

/** Rendezvous storage per user: the prekeys of X3DH against those of PQXDH. */
function storageSection(): Section {
  const x3dh = storagePerUser(undefined);
  const vs = { label: "X3DH", value: x3dh };
  return {
    title: "Rendezvous storage per user (SQLite pages, prekeys only)",
    rows: [
      { label: `X3DH: ${POOL} one-time prekeys`, value: x3dh, unit: "B" },
      {
        label: `PQXDH: + last-resort and ${POOL} one-time ML-KEM-768`,
        value: storagePerUser(POOL),
        unit: "B",
        baseline: vs,
      },
      {
        label: `PQXDH at the cap: ${MAX_KEM_ONE_TIME_PREKEYS_STORED} one-time ML-KEM-768`,
        value: storagePerUser(MAX_KEM_ONE_TIME_PREKEYS_STORED),
        unit: "B",
        baseline: vs,
      },
    ],
  };
}

/** First messages to a new contact measured end to end, per protocol. */
const END_TO_END_ROUNDS = 10;

/** A started in-process peer and the events it emitted. */
interface BenchChatPeer {
  readonly peer: Peer;
  readonly profile: Profile;
  readonly events: PeerEvent[];
}

async function startBenchPeer(address: string, username: string): Promise<BenchChatPeer> {
  const profile = await openProfile(
    await Deno.makeTempDir({ prefix: `tincan-bench-${username}-` }),
  );
  const events: PeerEvent[] = [];
  const peer = createPeer({
    profile,
    username,
    password: `pw-${username}`,
    rendezvous: address,
    register: true,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...CHEAP_STRETCHING,
  });
  peer.on((event) => events.push(event));
  await peer.start();
  return { peer, profile, events };
}

/** Resolves when `peer` has emitted an event matching `match` (polls its event list). */
async function seen(peer: BenchChatPeer, match: (event: PeerEvent) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!peer.events.some(match)) {
    if (Date.now() > deadline) throw new Error(`${peer.peer.username}: an event did not come`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** CPU time of this process so far, in milliseconds. */
function cpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/**
 * `rounds` first messages from `from` to `to`, each in a new session (`from` forgets its session
 * first, so it fetches a bundle and starts again): mean ms until `to` has it and until `from` has
 * the acknowledgement, CPU ms of the whole process (both peers and the rendezvous) per message,
 * and the bytes of the first envelope as sent.
 */
async function firstMessages(from: BenchChatPeer, to: BenchChatPeer, rounds: number) {
  let received = 0;
  let delivered = 0;
  let cpu = 0;
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    from.profile.db.prepare("DELETE FROM sessions WHERE username = ?").run(to.peer.username);
    const start = performance.now();
    const cpuStart = cpuMs();
    const id = await from.peer.send(to.peer.username, "x".repeat(TEXT_BYTES));
    await seen(to, (e) => e.type === "message" && e.id === id);
    received += performance.now() - start;
    await seen(from, (e) => e.type === "delivered" && e.id === id);
    delivered += performance.now() - start;
    cpu += cpuMs() - cpuStart;
    const row = selectOne<{ envelope: Uint8Array | null }>(
      from.profile.db,
      "SELECT envelope FROM outbox WHERE message_id = ?",
      fromHex(id),
    );
    bytes = row?.envelope?.length ?? 0;
  }
  return {
    protocol: from.peer.sessionProtocol(to.peer.username),
    received: received / rounds,
    delivered: delivered / rounds,
    cpu: cpu / rounds,
    bytes,
  };
}

/**
 * The first message to a new contact end to end: two pairs of real peers through a real
 * rendezvous in this process, one pair with PQXDH, the other X3DH (its recipient uploads its keys
 * without KEM prekeys, as a version without PQXDH does).
 */
async function endToEndSection(rounds: number): Promise<Section> {
  const dataDir = await Deno.makeTempDir({ prefix: "tincan-bench-rendezvous-" });
  const rendezvous = await startRendezvous({
    dataDir,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    name: "bench",
    nodeLimits: { inboundConnectionsPerSecondPerHost: 10_000 },
  });
  const address = rendezvous.multiaddrs()[0]!;
  const peers: BenchChatPeer[] = [];
  try {
    const start = async (name: string) => {
      const started = await startBenchPeer(address, name);
      peers.push(started);
      return started;
    };
    const [alice, bob, carol, dave] = [
      await start("alice"),
      await start("bob"),
      await start("carol"),
      await start("dave"),
    ];
    const keys = new OwnKeyStore(dave.profile.db, dave.profile.storageKey);
    await uploadPrekeys(dave.peer.node, multiaddr(address), {
      identityDhKey: publicForm(keys.get(PrekeyKind.IdentityDh, 0)!),
      signedPrekey: publicForm(keys.newest(PrekeyKind.Signed)!),
      oneTimePrekeys: [],
    });
    await firstMessages(alice, bob, 1); // warm-up: JIT, connections, contacts pinned
    await firstMessages(carol, dave, 1);
    const pq = await firstMessages(alice, bob, rounds);
    const x3dh = await firstMessages(carol, dave, rounds);
    if (pq.protocol !== "pqxdh" || x3dh.protocol !== "x3dh") {
      throw new Error(`end to end: expected PQXDH and X3DH, got ${pq.protocol}, ${x3dh.protocol}`);
    }
    return {
      title: "First message to a new contact end to end (two real peers, a real rendezvous)",
      rows: [
        ...against(
          ["send → recipient has it: X3DH", "send → recipient has it: PQXDH"],
          "ms",
          x3dh.received,
          pq.received,
        ),
        ...against(
          ["send → acknowledged: X3DH", "send → acknowledged: PQXDH"],
          "ms",
          x3dh.delivered,
          pq.delivered,
        ),
        ...against(
          [
            "CPU, both peers and the rendezvous: X3DH",
            "CPU, both peers and the rendezvous: PQXDH",
          ],
          "ms",
          x3dh.cpu,
          pq.cpu,
        ),
        ...against(
          [`first envelope as sent, ${TEXT_BYTES} B text: X3DH`, "first envelope as sent: PQXDH"],
          "B",
          x3dh.bytes,
          pq.bytes,
        ),
      ],
      notes: [
        `${rounds} first messages each, after a warm-up; every one starts a new session (the ` +
        "sender forgets its session), so it includes the bundle lookup and its checks",
        "all in one process over loopback: the CPU is that of both peers and the rendezvous",
      ],
    };
  } finally {
    for (const { peer, profile } of peers) {
      await peer.stop().catch(() => {});
      profile.close();
    }
    await rendezvous.stop();
  }
}

/** The PQXDH sections, each operation timed for `seconds`. */
export async function benchPqxdh(seconds = 1): Promise<Section[]> {
  return [
    await firstMessageSection(seconds),
    await endToEndSection(END_TO_END_ROUNDS),
    await kemSection(seconds),
    storageSection(),
  ];
}

if (import.meta.main) {
  const { formatReport } = await import("./report.ts");
  const { configureLogging } = await import("../src/log.ts");
  configureLogging("warn");
  console.log(formatReport(await benchPqxdh()));
}
