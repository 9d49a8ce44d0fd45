/**
 * The rendezvous' metric families for /metrics, read from the operator port at scrape time.
 * Counters come from the protocols' Metrics; gauges from the node, the database and the
 * process; the relay's from its counters, when the node runs a relay; each federated node's
 * link, queue and refusals, labelled with its name.
 */
import type { FederatedNodeStatus } from "../federation/federation.ts";
import { type CounterName, COUNTERS } from "../metrics.ts";
import type { MetricFamily } from "./exposition.ts";
import type { OperatorPort } from "./port.ts";

const PREFIX = "tincan_rendezvous_";

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name: PREFIX + name, help, type: "gauge", samples: [{ value }] };
}

function counter(name: string, help: string, value: number): MetricFamily {
  return { name: `${PREFIX}${name}_total`, help, type: "counter", samples: [{ value }] };
}

/** The relay's families: none without a relay. */
function relayMetrics(port: OperatorPort): MetricFamily[] {
  const relay = port.relay();
  if (relay === undefined) return [];
  return [
    gauge("relay_reservations", "Circuit relay reservations held now", relay.reservations),
    counter(
      "relay_reservations_refused",
      "Relay reservations refused (not logged in, or over a limit)",
      relay.refusedReservations,
    ),
    counter("relay_connections", "Relayed connections opened", relay.relayedConnections),
    counter(
      "relay_connections_refused",
      "Relayed connections refused (source not logged in, or over the bandwidth)",
      relay.refusedConnections,
    ),
    counter("relay_bytes", "Bytes carried over relayed connections", relay.relayedBytes),
  ];
}

/** The federated nodes' families, one sample per node: none without federation. */
function federationMetrics(port: OperatorPort): MetricFamily[] {
  const nodes = port.federation();
  if (nodes.length === 0) return [];
  const each = (value: (node: FederatedNodeStatus) => number) =>
    nodes.map((node) => ({ labels: { node: node.name }, value: value(node) }));
  return [
    {
      name: PREFIX + "federation_link_up",
      help: "Whether the link to a federated node is up (1) or not (0)",
      type: "gauge",
      samples: each((node) => node.state === "up" ? 1 : 0),
    },
    {
      name: PREFIX + "federation_queued_forwards",
      help: "Envelopes waiting here to be forwarded to a federated node",
      type: "gauge",
      samples: each((node) => node.queuedMail),
    },
    {
      name: PREFIX + "federation_node_refused_total",
      help: "What was refused of a federated node: invalid answers, mail over quota, wrong PeerId",
      type: "counter",
      samples: each((node) => node.refused),
    },
  ];
}

/** Every metric family, as of now; `loopLagMs` is the latest event-loop lag. */
export function collectMetrics(port: OperatorPort, loopLagMs: number): MetricFamily[] {
  const counters: MetricFamily[] = (Object.keys(COUNTERS) as CounterName[]).map((name) =>
    counter(name, COUNTERS[name], port.metrics.value(name))
  );
  const mail = port.stats.mailboxTotals();
  const accounts = port.stats.accounts();
  const prekeys = port.stats.oneTimePrekeysLeft();
  const memory = Deno.memoryUsage();
  const info = port.info();
  return [
    ...counters,
    ...relayMetrics(port),
    ...federationMetrics(port),
    gauge("connected_peers", "Peers with an open connection", port.connectedPeers()),
    gauge("logged_in_users", "Users logged in now", port.online().length),
    gauge("accounts", "Registered accounts", accounts.total),
    gauge("accounts_disabled", "Accounts the operator disabled", accounts.disabled),
    gauge("presence_subscribers", "Open presence streams", port.metrics.presenceSubscriberCount),
    gauge("mailbox_envelopes", "Envelopes held in mailboxes", mail.count),
    gauge("mailbox_bytes", "Bytes of envelopes held in mailboxes", mail.bytes),
    gauge(
      "one_time_prekeys_min",
      "Fewest one-time prekeys left for a user who published keys",
      prekeys?.min ?? 0,
    ),
    gauge(
      "one_time_prekeys_median",
      "Median one-time prekeys left per user who published keys",
      prekeys?.median ?? 0,
    ),
    gauge(
      "throttled_keys",
      "Usernames and addresses blocked by the login throttle",
      port.throttles(10_000).length,
    ),
    gauge("process_resident_memory_bytes", "Resident set size of the process", memory.rss),
    gauge("process_heap_used_bytes", "V8 heap in use", memory.heapUsed),
    gauge("process_heap_total_bytes", "V8 heap allocated", memory.heapTotal),
    gauge("event_loop_lag_seconds", "How late the last event-loop tick fired", loopLagMs / 1000),
    gauge(
      "uptime_seconds",
      "Seconds since the rendezvous started",
      (port.now() - info.startedAt) / 1000,
    ),
    {
      name: PREFIX + "build_info",
      help: "The tincan version this rendezvous runs (value always 1)",
      type: "gauge",
      samples: [{ labels: { version: info.version, name: info.name }, value: 1 }],
    },
  ];
}
