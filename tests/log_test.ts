import assert from "node:assert/strict";
import { configureLogging, logger, type LogRecord, onLogRecord, redactFields } from "../src/log.ts";

function capture(format: "text" | "json"): string[] {
  const lines: string[] = [];
  configureLogging("debug", { write: (line) => lines.push(line) }, format);
  return lines;
}

Deno.test("log: text lines carry time, level, scope, message and fields", () => {
  const lines = capture("text");
  try {
    logger("test:scope").info("hello", { user: "alice", n: 3 });
    assert.match(
      lines[0]!,
      /^\d{4}-\d\d-\d\dT[\d:.]+Z info \[test:scope\] hello user="alice" n=3$/,
    );
  } finally {
    configureLogging("error", undefined, "text");
  }
});

Deno.test("log: json lines are one object each with time, level, scope, message, fields", () => {
  const lines = capture("json");
  try {
    logger("test").warn("careful", { peer: "12D3" });
    const record = JSON.parse(lines[0]!) as LogRecord;
    assert.deepEqual(Object.keys(record), ["time", "level", "scope", "message", "fields"]);
    assert.equal(record.level, "warn");
    assert.equal(record.scope, "test");
    assert.equal(record.message, "careful");
    assert.deepEqual(record.fields, { peer: "12D3" });
  } finally {
    configureLogging("error", undefined, "text");
  }
});

Deno.test("log: fields named like secrets are redacted, in every format and for listeners", () => {
  const lines = capture("json");
  const heard: LogRecord[] = [];
  const stop = onLogRecord((record) => heard.push(record));
  try {
    logger("test").info("x", { password: "hunter2", adminToken: "t0k3n", csrf: "c", user: "bob" });
    assert.doesNotMatch(lines[0]!, /hunter2|t0k3n/);
    assert.deepEqual(heard[0]!.fields, {
      password: "[redacted]",
      adminToken: "[redacted]",
      csrf: "[redacted]",
      user: "bob",
    });
  } finally {
    stop();
    configureLogging("error", undefined, "text");
  }
  assert.deepEqual(redactFields({ secretKey: 1, name: "n" }), {
    secretKey: "[redacted]",
    name: "n",
  });
});

Deno.test("log: lines below the level are not written", () => {
  const lines: string[] = [];
  configureLogging("warn", { write: (line) => lines.push(line) }, "text");
  try {
    logger("test").info("quiet");
    logger("test").error("loud");
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /error \[test\] loud/);
  } finally {
    configureLogging("error", undefined, "text");
  }
});
