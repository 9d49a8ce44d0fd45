import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_TTL_SECONDS,
  MAX_DISCOVER_RESULTS,
  MAX_REGISTRATIONS_PER_PEER,
  MAX_TTL_SECONDS,
  MIN_TTL_SECONDS,
} from "../../src/protocol/limits.ts";
import {
  namespaceRefusal,
  type Refusal,
  type Registration,
  RegistrationTable,
} from "../../src/rendezvous/registrations.ts";

const T0 = 1_700_000_000_000;
const RECORD = new Uint8Array([1, 2, 3]);

function isRefusal(result: object): result is Refusal {
  return "error" in result;
}

function granted(result: { ttlSeconds: number } | Refusal): number {
  if (isRefusal(result)) assert.fail(`refused: ${result.error} ${result.text}`);
  return result.ttlSeconds;
}

function refused(result: object): Refusal["error"] {
  assert.ok(isRefusal(result), "expected a refusal");
  assert.ok(result.text.length > 0);
  return result.error;
}

function found(
  result: { registrations: Registration[]; cookie: Uint8Array } | Refusal,
): { registrations: Registration[]; cookie: Uint8Array } {
  if (isRefusal(result)) assert.fail(`refused: ${result.error} ${result.text}`);
  return result;
}

function peers(result: { registrations: Registration[] }): string[] {
  return result.registrations.map((r) => r.peerId);
}

Deno.test("register grants the default TTL of 2 h when none is set", () => {
  const table = new RegistrationTable();
  assert.equal(granted(table.register("p1", "chat", RECORD, 1n, 0, T0)), DEFAULT_TTL_SECONDS);
  assert.equal(DEFAULT_TTL_SECONDS, 7200);
  const [registration] = table.registrationsOf("p1");
  assert.ok(registration);
  assert.equal(registration.ns, "chat");
  assert.equal(registration.ttlSeconds, 7200);
  assert.equal(registration.expiresAt, T0 + 7200 * 1000);
  assert.deepEqual(registration.signedPeerRecord, RECORD);
  assert.equal(table.size, 1);
});

Deno.test("register accepts TTLs from 2 h to 72 h and refuses outside with E_INVALID_TTL", () => {
  const table = new RegistrationTable();
  assert.equal(granted(table.register("p1", "a", RECORD, 1n, MIN_TTL_SECONDS, T0)), 7200);
  assert.equal(granted(table.register("p1", "b", RECORD, 1n, MAX_TTL_SECONDS, T0)), 72 * 3600);
  assert.equal(
    refused(table.register("p1", "c", RECORD, 1n, MIN_TTL_SECONDS - 1, T0)),
    "E_INVALID_TTL",
  );
  assert.equal(
    refused(table.register("p1", "c", RECORD, 1n, MAX_TTL_SECONDS + 1, T0)),
    "E_INVALID_TTL",
  );
  assert.equal(refused(table.register("p1", "c", RECORD, 1n, 1, T0)), "E_INVALID_TTL");
  assert.equal(refused(table.register("p1", "c", RECORD, 1n, -7200, T0)), "E_INVALID_TTL");
  assert.equal(table.size, 2);
});

Deno.test("custom limits override the defaults", () => {
  const table = new RegistrationTable({ minTtlSeconds: 1, maxTtlSeconds: 10, maxPerPeer: 1 });
  assert.equal(granted(table.register("p1", "a", RECORD, 1n, 1, T0)), 1);
  assert.equal(refused(table.register("p1", "b", RECORD, 1n, 1, T0)), "E_NOT_AUTHORIZED");
  assert.equal(refused(table.register("p2", "a", RECORD, 1n, 11, T0)), "E_INVALID_TTL");
});

Deno.test("namespaces: empty or over 255 bytes are refused with E_INVALID_NAMESPACE", () => {
  const table = new RegistrationTable();
  assert.equal(refused(table.register("p1", "", RECORD, 1n, 0, T0)), "E_INVALID_NAMESPACE");
  assert.equal(
    refused(table.register("p1", "x".repeat(256), RECORD, 1n, 0, T0)),
    "E_INVALID_NAMESPACE",
  );
  assert.equal(granted(table.register("p1", "x".repeat(255), RECORD, 1n, 0, T0)), 7200);
  // bytes, not characters: 128 two-byte characters are 256 bytes
  assert.equal(
    refused(table.register("p1", "é".repeat(128), RECORD, 1n, 0, T0)),
    "E_INVALID_NAMESPACE",
  );
  assert.equal(granted(table.register("p1", "é".repeat(127), RECORD, 1n, 0, T0)), 7200);
  assert.equal(table.size, 2);
});

Deno.test("namespaceRefusal allows the empty namespace only when asked", () => {
  assert.equal(namespaceRefusal("", true), undefined);
  assert.equal(namespaceRefusal("", false)?.error, "E_INVALID_NAMESPACE");
  assert.equal(namespaceRefusal("a", false), undefined);
  assert.equal(namespaceRefusal("x".repeat(255), false), undefined);
  assert.match(namespaceRefusal("x".repeat(256), true)?.text ?? "", /256 bytes; the limit is 255/);
});

Deno.test("a peer may hold 1000 registrations; the next is refused with E_NOT_AUTHORIZED", () => {
  const table = new RegistrationTable();
  for (let i = 0; i < MAX_REGISTRATIONS_PER_PEER; i++) {
    granted(table.register("p1", `ns${i}`, RECORD, 1n, 0, T0));
  }
  assert.equal(refused(table.register("p1", "one-more", RECORD, 1n, 0, T0)), "E_NOT_AUTHORIZED");
  // refreshing an existing one is still allowed, and other peers are unaffected
  granted(table.register("p1", "ns0", RECORD, 1n, 0, T0 + 1));
  granted(table.register("p2", "one-more", RECORD, 1n, 0, T0));
  assert.equal(table.registrationsOf("p1").length, MAX_REGISTRATIONS_PER_PEER);
  // after an unregister there is room again
  table.unregister("p1", "ns5");
  granted(table.register("p1", "one-more", RECORD, 1n, 0, T0));
});

Deno.test("the table answers E_UNAVAILABLE when full across peers", () => {
  const table = new RegistrationTable({ maxTotal: 2 });
  granted(table.register("p1", "a", RECORD, 1n, 0, T0));
  granted(table.register("p2", "a", RECORD, 1n, 0, T0));
  assert.equal(refused(table.register("p3", "a", RECORD, 1n, 0, T0)), "E_UNAVAILABLE");
  granted(table.register("p1", "a", RECORD, 2n, 0, T0)); // a refresh takes no new room
});

Deno.test("an older peer record seq is refused; an equal or newer one is accepted", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "a", RECORD, 5n, 0, T0));
  assert.equal(
    refused(table.register("p1", "a", RECORD, 4n, 0, T0)),
    "E_INVALID_SIGNED_PEER_RECORD",
  );
  // the seq is per peer, across namespaces
  assert.equal(
    refused(table.register("p1", "b", RECORD, 4n, 0, T0)),
    "E_INVALID_SIGNED_PEER_RECORD",
  );
  granted(table.register("p1", "a", RECORD, 5n, 0, T0));
  granted(table.register("p1", "b", RECORD, 6n, 0, T0));
  assert.equal(
    refused(table.register("p1", "a", RECORD, 5n, 0, T0)),
    "E_INVALID_SIGNED_PEER_RECORD",
  );
  // other peers have their own seq
  granted(table.register("p2", "a", RECORD, 0n, 0, T0));
});

Deno.test("a refresh replaces the record and TTL", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "a", new Uint8Array([1]), 1n, 0, T0));
  granted(table.register("p1", "a", new Uint8Array([2]), 2n, MAX_TTL_SECONDS, T0 + 5));
  const all = table.registrationsOf("p1");
  assert.equal(all.length, 1);
  assert.deepEqual(all[0]?.signedPeerRecord, new Uint8Array([2]));
  assert.equal(all[0]?.expiresAt, T0 + 5 + MAX_TTL_SECONDS * 1000);
  assert.equal(table.size, 1);
});

Deno.test("unregister removes one namespace and is a no-op when absent", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "a", RECORD, 1n, 0, T0));
  granted(table.register("p1", "b", RECORD, 1n, 0, T0));
  table.unregister("p1", "a");
  table.unregister("p1", "zzz");
  table.unregister("nobody", "a");
  assert.deepEqual(table.registrationsOf("p1").map((r) => r.ns), ["b"]);
  assert.deepEqual(peers(found(table.discover("a", 0, undefined, T0))), []);
  assert.deepEqual(peers(found(table.discover("b", 0, undefined, T0))), ["p1"]);
});

Deno.test("discover returns a namespace's registrations in order and a cookie for new ones", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "chat", RECORD, 1n, 0, T0));
  granted(table.register("p2", "chat", RECORD, 1n, 0, T0));
  granted(table.register("p3", "other", RECORD, 1n, 0, T0));
  const first = found(table.discover("chat", 0, undefined, T0));
  assert.deepEqual(peers(first), ["p1", "p2"]);
  const none = found(table.discover("chat", 0, first.cookie, T0));
  assert.deepEqual(peers(none), []);
  granted(table.register("p4", "chat", RECORD, 1n, 0, T0));
  const next = found(table.discover("chat", 0, none.cookie, T0));
  assert.deepEqual(peers(next), ["p4"]);
  // an empty cookie is the same as none
  assert.deepEqual(peers(found(table.discover("chat", 0, new Uint8Array(0), T0))), [
    "p1",
    "p2",
    "p4",
  ]);
});

Deno.test("a refresh moves a registration after an earlier cookie", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "chat", RECORD, 1n, 0, T0));
  granted(table.register("p2", "chat", RECORD, 1n, 0, T0));
  const first = found(table.discover("chat", 0, undefined, T0));
  granted(table.register("p1", "chat", RECORD, 2n, 0, T0 + 1000));
  assert.deepEqual(peers(found(table.discover("chat", 0, first.cookie, T0 + 1000))), ["p1"]);
  assert.deepEqual(peers(found(table.discover("chat", 0, undefined, T0 + 1000))), ["p2", "p1"]);
  assert.deepEqual(peers(found(table.discover("", 0, undefined, T0 + 1000))), ["p2", "p1"]);
});

Deno.test("a cookie for another namespace or garbage is refused with E_INVALID_COOKIE", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "chat", RECORD, 1n, 0, T0));
  const { cookie } = found(table.discover("chat", 0, undefined, T0));
  assert.equal(refused(table.discover("other", 0, cookie, T0)), "E_INVALID_COOKIE");
  assert.equal(refused(table.discover("", 0, cookie, T0)), "E_INVALID_COOKIE");
  const all = found(table.discover("", 0, undefined, T0));
  assert.equal(refused(table.discover("chat", 0, all.cookie, T0)), "E_INVALID_COOKIE");
  assert.equal(
    refused(table.discover("chat", 0, new Uint8Array([1, 2, 3]), T0)),
    "E_INVALID_COOKIE",
  );
  assert.equal(refused(table.discover("chat", 0, new Uint8Array(8 + 256), T0)), "E_INVALID_COOKIE");
  // the namespace part is not valid UTF-8
  const badUtf8 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe]);
  assert.equal(refused(table.discover("chat", 0, badUtf8, T0)), "E_INVALID_COOKIE");
  // a one-bit change to the namespace part
  const flipped = cookie.slice();
  flipped[8]! ^= 1;
  assert.equal(refused(table.discover("chat", 0, flipped, T0)), "E_INVALID_COOKIE");
});

Deno.test("a cookie works when it is a view into a larger buffer", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "chat", RECORD, 1n, 0, T0));
  const { cookie } = found(table.discover("chat", 0, undefined, T0));
  granted(table.register("p2", "chat", RECORD, 1n, 0, T0));
  const buffer = new Uint8Array(cookie.length + 7);
  buffer.set(cookie, 5);
  const view = buffer.subarray(5, 5 + cookie.length);
  assert.deepEqual(peers(found(table.discover("chat", 0, view, T0))), ["p2"]);
});

Deno.test("discover refuses a namespace over 255 bytes", () => {
  const table = new RegistrationTable();
  assert.equal(refused(table.discover("x".repeat(256), 0, undefined, T0)), "E_INVALID_NAMESPACE");
});

Deno.test("discover with a limit pages through the registrations", () => {
  const table = new RegistrationTable();
  for (let i = 0; i < 5; i++) granted(table.register(`p${i}`, "chat", RECORD, 1n, 0, T0));
  const page1 = found(table.discover("chat", 2, undefined, T0));
  assert.deepEqual(peers(page1), ["p0", "p1"]);
  const page2 = found(table.discover("chat", 2, page1.cookie, T0));
  assert.deepEqual(peers(page2), ["p2", "p3"]);
  const page3 = found(table.discover("chat", 2, page2.cookie, T0));
  assert.deepEqual(peers(page3), ["p4"]);
  const page4 = found(table.discover("chat", 2, page3.cookie, T0));
  assert.deepEqual(peers(page4), []);
  // the cookie of an empty page still points after the last one seen
  assert.deepEqual(page4.cookie, page3.cookie);
});

Deno.test("discover returns at most 1000 results, even when asked for more", () => {
  const table = new RegistrationTable();
  for (let i = 0; i < MAX_DISCOVER_RESULTS + 5; i++) {
    granted(table.register(`p${i}`, "chat", RECORD, 1n, 0, T0));
  }
  const unlimited = found(table.discover("chat", 0, undefined, T0));
  assert.equal(unlimited.registrations.length, MAX_DISCOVER_RESULTS);
  const tooMany = found(table.discover("chat", 5000, undefined, T0));
  assert.equal(tooMany.registrations.length, MAX_DISCOVER_RESULTS);
  const negative = found(table.discover("chat", -1, undefined, T0));
  assert.equal(negative.registrations.length, MAX_DISCOVER_RESULTS);
  const rest = found(table.discover("chat", 0, unlimited.cookie, T0));
  assert.deepEqual(peers(rest), ["p1000", "p1001", "p1002", "p1003", "p1004"]);
});

Deno.test("registrations expire by the clock and discover drops them", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "chat", RECORD, 1n, 0, T0));
  granted(table.register("p2", "chat", RECORD, 1n, MAX_TTL_SECONDS, T0));
  const expiry = T0 + DEFAULT_TTL_SECONDS * 1000;
  assert.deepEqual(peers(found(table.discover("chat", 0, undefined, expiry - 1))), ["p1", "p2"]);
  assert.deepEqual(peers(found(table.discover("chat", 0, undefined, expiry))), ["p2"]);
  assert.equal(table.size, 1, "the expired registration is deleted");
  assert.deepEqual(table.registrationsOf("p1"), []);
  assert.deepEqual(peers(found(table.discover("", 0, undefined, T0 + MAX_TTL_SECONDS * 1000))), []);
  assert.equal(table.size, 0);
});

Deno.test("expired registrations do not count against the page limit", () => {
  const table = new RegistrationTable();
  granted(table.register("old1", "chat", RECORD, 1n, 0, T0));
  granted(table.register("old2", "chat", RECORD, 1n, 0, T0));
  granted(table.register("new1", "chat", RECORD, 1n, 0, T0 + 10_000));
  granted(table.register("new2", "chat", RECORD, 1n, 0, T0 + 10_000));
  const now = T0 + DEFAULT_TTL_SECONDS * 1000;
  assert.deepEqual(peers(found(table.discover("chat", 2, undefined, now))), ["new1", "new2"]);
});

Deno.test("purgeExpired drops only expired registrations and counts them", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "a", RECORD, 1n, 0, T0));
  granted(table.register("p1", "b", RECORD, 1n, 0, T0 + 1000));
  granted(table.register("p2", "a", RECORD, 1n, MAX_TTL_SECONDS, T0));
  assert.equal(table.purgeExpired(T0), 0);
  assert.equal(table.purgeExpired(T0 + DEFAULT_TTL_SECONDS * 1000), 1);
  assert.deepEqual(table.registrationsOf("p1").map((r) => r.ns), ["b"]);
  assert.equal(table.purgeExpired(T0 + DEFAULT_TTL_SECONDS * 1000 + 1000), 1);
  assert.deepEqual(table.registrationsOf("p1"), []);
  assert.equal(table.size, 1);
  assert.equal(table.purgeExpired(T0 + MAX_TTL_SECONDS * 1000), 1);
  assert.equal(table.size, 0);
});

Deno.test("removePeer drops every registration of the peer and forgets its seq", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "a", RECORD, 9n, 0, T0));
  granted(table.register("p1", "b", RECORD, 9n, 0, T0));
  granted(table.register("p2", "a", RECORD, 1n, 0, T0));
  table.removePeer("p1");
  assert.deepEqual(table.registrationsOf("p1"), []);
  assert.equal(table.size, 1);
  assert.deepEqual(peers(found(table.discover("a", 0, undefined, T0))), ["p2"]);
  assert.deepEqual(peers(found(table.discover("b", 0, undefined, T0))), []);
  // the seq is forgotten: a lower one is accepted again
  granted(table.register("p1", "a", RECORD, 1n, 0, T0));
  table.removePeer("nobody");
  assert.equal(table.size, 2);
});

Deno.test("discover with the empty namespace lists all namespaces", () => {
  const table = new RegistrationTable();
  granted(table.register("p1", "a", RECORD, 1n, 0, T0));
  granted(table.register("p2", "b", RECORD, 1n, 0, T0));
  granted(table.register("p1", "c", RECORD, 1n, 0, T0));
  const all = found(table.discover("", 0, undefined, T0));
  assert.deepEqual(all.registrations.map((r) => `${r.peerId}/${r.ns}`), ["p1/a", "p2/b", "p1/c"]);
  granted(table.register("p3", "d", RECORD, 1n, 0, T0));
  const more = found(table.discover("", 0, all.cookie, T0));
  assert.deepEqual(more.registrations.map((r) => `${r.peerId}/${r.ns}`), ["p3/d"]);
});

Deno.test("property: paging with cookies and a limit returns every live registration once", () => {
  const operation = fc.oneof(
    fc.record({
      kind: fc.constant("register" as const),
      peer: fc.integer({ min: 0, max: 5 }),
      ns: fc.constantFrom("a", "b", "c"),
      ttl: fc.constantFrom(0, MIN_TTL_SECONDS, MAX_TTL_SECONDS),
      advanceMs: fc.integer({ min: 0, max: 3 * 3600 * 1000 }),
    }),
    fc.record({
      kind: fc.constant("unregister" as const),
      peer: fc.integer({ min: 0, max: 5 }),
      ns: fc.constantFrom("a", "b", "c"),
    }),
  );
  fc.assert(
    fc.property(
      fc.array(operation, { maxLength: 60 }),
      fc.constantFrom("", "a", "b"),
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 0, max: 80 * 3600 * 1000 }),
      (operations, ns, limit, queryDelayMs) => {
        const table = new RegistrationTable();
        // the model: key -> expiry
        const model = new Map<string, number>();
        let now = T0;
        for (const op of operations) {
          const key = `p${op.peer}/${op.ns}`;
          if (op.kind === "register") {
            now += op.advanceMs;
            const ttl = granted(table.register(`p${op.peer}`, op.ns, RECORD, 1n, op.ttl, now));
            model.set(key, now + ttl * 1000);
          } else {
            table.unregister(`p${op.peer}`, op.ns);
            model.delete(key);
          }
        }
        const queryAt = now + queryDelayMs;
        const expected = [...model]
          .filter(([key, expiresAt]) =>
            expiresAt > queryAt && (ns === "" || key.endsWith(`/${ns}`))
          )
          .map(([key]) => key)
          .sort();
        const seen: string[] = [];
        let cookie: Uint8Array | undefined;
        for (let page = 0; page < 100; page++) {
          const result = found(table.discover(ns, limit, cookie, queryAt));
          assert.ok(result.registrations.length <= limit);
          for (const r of result.registrations) {
            assert.ok(r.expiresAt > queryAt, "only live registrations");
            seen.push(`${r.peerId}/${r.ns}`);
          }
          cookie = result.cookie;
          if (result.registrations.length === 0) break;
        }
        assert.deepEqual([...seen].sort(), expected, "every live registration exactly once");
      },
    ),
    { numRuns: 200 },
  );
});
