import assert from "node:assert/strict";
import { describeError, explainMessage } from "../../src/cli/explain_error.ts";

const RAW = [
  ["bad frame: The stream has been reset", /^the connection was cut off halfway/],
  ["Cannot write to a stream that is closed", /^the connection closed before the exchange/],
  [
    "The dial request has no valid addresses for peer 12D3KooWabc",
    /^it has no address this computer can dial \(a rendezvous address needs TCP and a port/,
  ],
  [
    "Payload identity key 0801 does not match expected remote identity key 0802",
    /^the node there is not the one the address's \/p2p\/ PeerId names/,
  ],
  ["All multiaddr dials failed", /^nothing answered there/],
  ["connect ECONNREFUSED 127.0.0.1:4999", /^nothing answered there/],
  ["The operation was aborted due to timeout", /^it did not answer in time/],
] as const;

Deno.test("explain: each raw library message becomes a sentence that says what to do", () => {
  for (const [raw, sentence] of RAW) {
    const explained = explainMessage(raw);
    assert.ok(explained, raw);
    assert.match(explained, sentence, raw);
    assert.ok(!explained.includes(raw), `${raw} is gone`);
  }
});

Deno.test("explain: our own words before the raw part are kept; other messages pass", () => {
  assert.equal(
    explainMessage(
      "Cannot log in as alice at /ip4/127.0.0.1/tcp/4001: bad frame: The stream has been reset",
    ),
    "Cannot log in as alice at /ip4/127.0.0.1/tcp/4001: the connection was cut off halfway " +
      "(the other side went away or the network dropped); try again",
  );
  assert.equal(explainMessage("bob did not accept within 120 s"), undefined);
  assert.equal(
    describeError(new Error("the two passwords differ"), true),
    "the two passwords differ",
  );
});

Deno.test("explain: --verbose keeps the raw message after the sentence", () => {
  const err = new Error("x: Cannot write to a stream that is closed");
  assert.equal(
    describeError(err, false),
    "x: the connection closed before the exchange finished; try again",
  );
  assert.equal(
    describeError(err, true),
    "x: the connection closed before the exchange finished; try again " +
      "(detail: x: Cannot write to a stream that is closed)",
  );
  assert.equal(describeError("plain", false), "plain");
});
