import assert from "node:assert/strict";
import { EventHub, formatEvent } from "../../../src/rendezvous/http/events.ts";
import { isLoopback } from "../../../src/rendezvous/http/server.ts";

async function readSome(reader: ReadableStreamDefaultReader<Uint8Array>, n: number) {
  const decoder = new TextDecoder();
  let text = "";
  for (let i = 0; i < n; i++) text += decoder.decode((await reader.read()).value);
  return text;
}

Deno.test("events: one event line and one JSON data line, a blank line after", () => {
  assert.equal(formatEvent("presence", { u: "a\nb" }), 'event: presence\ndata: {"u":"a\\nb"}\n\n');
});

Deno.test("events: a stream starts with its snapshot and hears what is published", async () => {
  const hub = new EventHub();
  try {
    const reader = hub.open({ event: "snapshot", data: { n: 1 } }).getReader();
    hub.publish("tick", { n: 2 });
    assert.equal(
      await readSome(reader, 2),
      'event: snapshot\ndata: {"n":1}\n\nevent: tick\ndata: {"n":2}\n\n',
    );
    await reader.cancel();
    hub.publish("tick", { n: 3 }); // no stream left: nothing to do
  } finally {
    hub.stop();
  }
});

Deno.test("events: a stream that falls far behind is closed", async () => {
  const hub = new EventHub();
  try {
    const reader = hub.open({ event: "snapshot", data: {} }).getReader();
    for (let i = 0; i < 1100; i++) hub.publish("tick", { i });
    let chunks = 0;
    while (!(await reader.read()).done) chunks++;
    assert.ok(chunks < 1100, `closed after ${chunks} events`);
  } finally {
    hub.stop();
  }
});

Deno.test("isLoopback: 127/8, ::1 and localhost only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.ok(isLoopback(host));
  for (const host of ["0.0.0.0", "192.0.2.1", "::", "example.org"]) assert.ok(!isLoopback(host));
});
