import assert from "node:assert/strict";
import { formatExposition, type MetricFamily } from "../../../src/rendezvous/http/exposition.ts";
import { parseExposition } from "./exposition_parser.ts";

Deno.test("exposition: families parse back to their samples, labels escaped", () => {
  const families: MetricFamily[] = [
    {
      name: "a_total",
      help: "A counter\nwith a newline",
      type: "counter",
      samples: [{ value: 3 }],
    },
    {
      name: "b",
      help: "A gauge",
      type: "gauge",
      samples: [
        { labels: { version: '0.1 "beta"\\x', name: "n\nl" }, value: 1.5 },
        { labels: { version: "2" }, value: Infinity },
      ],
    },
  ];
  const text = formatExposition(families);
  assert.match(text, /^# HELP a_total A counter\\nwith a newline$/m);
  const { samples, types } = parseExposition(text);
  assert.deepEqual(types, new Map([["a_total", "counter"], ["b", "gauge"]]));
  assert.deepEqual(samples, [
    { name: "a_total", labels: {}, value: 3 },
    { name: "b", labels: { version: '0.1 "beta"\\x', name: "n\nl" }, value: 1.5 },
    { name: "b", labels: { version: "2" }, value: Infinity },
  ]);
});

Deno.test("exposition: a name the format does not allow is a RangeError", () => {
  assert.throws(
    () => formatExposition([{ name: "bad-name", help: "", type: "gauge", samples: [] }]),
    RangeError,
  );
  assert.throws(
    () =>
      formatExposition([{
        name: "ok",
        help: "",
        type: "gauge",
        samples: [{ labels: { "bad label": "x" }, value: 1 }],
      }]),
    RangeError,
  );
});
