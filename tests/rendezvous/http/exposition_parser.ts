/** A strict parser of the Prometheus text format, for tests of what /metrics writes. */
import assert from "node:assert/strict";

/** A parsed sample line. */
export interface Parsed {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict parser of the text exposition format (what this test checks the writer against):
 * every line is a # HELP, a # TYPE that precedes its samples, or a sample of a declared metric.
 */
export function parseExposition(text: string): { samples: Parsed[]; types: Map<string, string> } {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const types = new Map<string, string>();
  const samples: Parsed[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (help) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/
      .exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `TYPE of ${type[1]} given twice`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not an exposition line: ${JSON.stringify(line)}`);
    const name = sample[1]!;
    assert.ok(types.has(name), `${name} has no TYPE before its sample`);
    const labels: Record<string, string> = {};
    let rest = sample[3] ?? "";
    while (rest.length > 0) {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)",?/.exec(rest);
      assert.ok(label, `bad labels in ${line}`);
      labels[label[1]!] = label[2]!.replace(/\\(["\\n])/g, (_, c) => c === "n" ? "\n" : c);
      rest = rest.slice(label[0].length);
    }
    const raw = sample[4]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    assert.ok(raw === "NaN" || !Number.isNaN(value), `bad value ${raw}`);
    samples.push({ name, labels, value });
  }
  return { samples, types };
}
