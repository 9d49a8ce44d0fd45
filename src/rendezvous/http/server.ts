/**
 * The rendezvous' HTTP side: serves the routes of app.ts with Deno.serve and feeds the
 * dashboard's live stream from the operator port (presence changes and logins as they happen,
 * counts every second, a full snapshot every SNAPSHOT_EVERY_MS, the chart sampled every
 * SAMPLE_EVERY_MS for an hour).
 */
import { logger, type LogRecord, onLogRecord } from "../../log.ts";
import type { Activity } from "../metrics.ts";
import { loadOrCreateAdminToken } from "./admin_token.ts";
import { httpApp } from "./app.ts";
import { AdminAuth } from "./auth.ts";
import { EventHub } from "./events.ts";
import { LoopLagMonitor } from "./loop_lag.ts";
import type { OperatorPort } from "./port.ts";
import { Ring } from "./ring.ts";

/** Where and how to serve. */
export interface HttpOptions {
  readonly hostname: string;
  readonly port: number;
  /** PEM certificate and key: the listener speaks TLS itself (otherwise use a TLS proxy). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A running HTTP side. */
export interface OperatorHttp {
  /** The base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The admin token when it was made by this start (print it once), else undefined. */
  readonly newAdminToken: string | undefined;
  stop(): Promise<void>;
}

/** The chart's sampling interval and length (one hour). */
export const SAMPLE_EVERY_MS = 10_000;
const SAMPLES = 360;
const TICK_MS = 1000;
const SNAPSHOT_EVERY_MS = 5000;
const RECENT = 50;

/** Whether `hostname` is a loopback address. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" ||
    /^127\./.test(hostname);
}

/**
 * Starts serving for the rendezvous whose port is `port`, with the admin token of `dataDir`.
 * @throws Deno.errors.AddrInUse and the like when the address cannot be bound.
 */
export async function startOperatorHttp(
  options: HttpOptions,
  dataDir: string,
  port: OperatorPort,
): Promise<OperatorHttp> {
  const log = logger("rendezvous:http");
  const { token, created } = await loadOrCreateAdminToken(dataDir);
  const auth = new AdminAuth(token);
  const hub = new EventHub();
  const lag = new LoopLagMonitor();
  const history = new Ring<{ at: number; connected: number; loggedIn: number }>(SAMPLES);
  const recentLogins = new Ring<Activity>(RECENT);
  const errors = new Ring<LogRecord>(RECENT);
  const counts = () => {
    const accounts = port.stats.accounts();
    return {
      at: port.now(),
      connected: port.connectedPeers(),
      loggedIn: port.online().length,
      accounts: accounts.total,
      disabled: accounts.disabled,
      presenceSubscribers: port.metrics.presenceSubscriberCount,
    };
  };
  const snapshot = () => {
    const memory = Deno.memoryUsage();
    const mail = port.stats.mailboxTotals();
    return {
      node: port.info(),
      counts: counts(),
      online: port.online().slice(0, 1000),
      history: history.items(),
      recentLogins: recentLogins.items(),
      mailbox: { ...mail, largest: port.stats.largestMailboxes(10) },
      prekeys: port.stats.oneTimePrekeysLeft() ?? null,
      relay: port.relay() ?? null,
      federation: port.federation(),
      throttles: port.throttles(100),
      errors: errors.items(),
      audit: port.admin.audit(20),
      process: { rss: memory.rss, heapUsed: memory.heapUsed, loopLagMs: lag.lagMs },
    };
  };
  const stops: (() => void)[] = [
    port.subscribePresence((notice) => {
      const user = port.online().find((u) => u.username === notice.username);
      hub.publish("presence", {
        ...notice,
        since: user?.since ?? notice.at,
        kind: user?.kind ?? "",
      });
    }),
    port.metrics.subscribe((activity) => {
      if (activity.username === undefined) return;
      recentLogins.add(activity);
      hub.publish("activity", activity);
    }),
    onLogRecord((record) => {
      if (record.level !== "warn" && record.level !== "error") return;
      errors.add(record);
      hub.publish("log", record);
    }),
  ];
  history.add(counts());
  const timers = [
    setInterval(() => hub.publish("tick", counts()), TICK_MS),
    setInterval(() => history.add(counts()), SAMPLE_EVERY_MS),
    setInterval(() => hub.publish("snapshot", snapshot()), SNAPSHOT_EVERY_MS),
  ];
  const app = httpApp({
    port,
    loopLagMs: () => lag.lagMs,
    auth,
    hub,
    snapshot,
    tls: options.tls !== undefined,
    log,
  });
  const stopFeeds = () => {
    for (const timer of timers) clearInterval(timer);
    for (const stop of stops) stop();
    lag.stop();
    hub.stop();
  };
  const ready = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      ...(options.tls ?? {}),
      onListen: (addr) => ready.resolve(addr),
    }, (request, info) => app.fetch(request, { remote: info.remoteAddr.hostname }));
  } catch (err: unknown) {
    stopFeeds();
    throw err;
  }
  const addr = await ready.promise;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `${options.tls ? "https" : "http"}://${host}:${addr.port}`;
  if (!isLoopback(options.hostname) && options.tls === undefined) {
    log.warn(
      `the dashboard listens on ${url} without TLS: the admin token and cookie cross the ` +
        "network in the clear; put it behind a TLS reverse proxy or give --http-cert/--http-key",
    );
  }
  log.info(`dashboard and metrics on ${url}`);
  return {
    url,
    newAdminToken: created ? token : undefined,
    stop: async () => {
      stopFeeds();
      await server.shutdown();
    },
  };
}
