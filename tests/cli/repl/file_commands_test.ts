import assert from "node:assert/strict";
import { FileTransferError } from "../../../src/peer/files/errors.ts";
import type { FileEvent, TransferInfo } from "../../../src/peer/files/events.ts";
import {
  FILE_COMMANDS,
  fileEventLines,
  formatFileEvent,
  runFileCommand,
} from "../../../src/cli/repl/file_commands.ts";
import { style } from "../../../src/cli/repl/format.ts";
import type { ReplFiles } from "../../../src/cli/repl/registry.ts";
import { replRegistry } from "../../../src/cli/repl/command_table.ts";

const s = style(false);
const registry = replRegistry({ rooms: true, files: true });
const isFile = (entry: unknown) => FILE_COMMANDS.some((e) => e === entry);
/** What the line asks of the file commands: undefined when it is not about files. */
const parseFileLine = (line: string) => {
  const parsed = registry.parse(line, { self: "alice", target: "bob" });
  if (parsed.kind === "none" || !isFile(parsed.entry)) return undefined;
  return parsed.kind === "command" ? parsed.command as { kind: string } : parsed;
};

Deno.test("parseFileLine: /file takes a user and the rest of the line as the path", () => {
  assert.deepEqual(parseFileLine("/file Bob my report.pdf"), {
    kind: "file",
    user: "bob",
    path: "my report.pdf",
  });
  assert.deepEqual(parseFileLine(`/file bob "/tmp/a b.txt"`), {
    kind: "file",
    user: "bob",
    path: "/tmp/a b.txt",
  });
  assert.equal(parseFileLine("/file bob")?.kind, "usage");
  assert.equal(parseFileLine("/file")?.kind, "usage");
});

Deno.test("parseFileLine: /accept, /cancel and /reject with and without ids and reasons", () => {
  assert.deepEqual(parseFileLine("/accept"), { kind: "accept" });
  assert.deepEqual(parseFileLine("/accept 3F2A"), { kind: "accept", id: "3f2a" });
  assert.equal(parseFileLine("/accept nope")?.kind, "usage");
  assert.equal(parseFileLine("/accept 3f2a 9c1d")?.kind, "usage");
  assert.deepEqual(parseFileLine("/cancel"), { kind: "cancel" });
  assert.deepEqual(parseFileLine("/Cancel 3F2A"), { kind: "cancel", id: "3f2a" });
  assert.match(
    (parseFileLine("/cancel it") as { message: string }).message,
    /"it" is not a transfer id\. Usage: \/cancel \[id\]/,
  );
  assert.deepEqual(parseFileLine("/reject"), { kind: "reject" });
  assert.deepEqual(parseFileLine("/reject 3f2a"), { kind: "reject", id: "3f2a" });
  assert.deepEqual(parseFileLine("/reject 3f2a too big"), {
    kind: "reject",
    id: "3f2a",
    reason: "too big",
  });
  assert.deepEqual(parseFileLine("/reject no thanks"), { kind: "reject", reason: "no thanks" });
});

Deno.test("parseFileLine: /files, and lines that are not file commands", () => {
  assert.deepEqual(parseFileLine("/files"), { kind: "files" });
  assert.equal(parseFileLine("/files all")?.kind, "usage");
  assert.equal(parseFileLine("hello /file bob x"), undefined);
  assert.equal(parseFileLine("//file bob x"), undefined);
  assert.equal(parseFileLine("/msg bob hi"), undefined);
  assert.equal(parseFileLine(""), undefined);
});

const info = (over: Partial<TransferInfo> = {}): TransferInfo => ({
  id: "3f2a9c1d00000000000000000000000a",
  peer: "bob",
  outgoing: false,
  name: "report.pdf",
  size: 2_200_000,
  sha256: "00".repeat(32),
  path: "/home/me/Downloads",
  ...over,
});

function fakeFiles(calls: string[]): ReplFiles {
  return {
    offer: (to: string, path: string) => {
      calls.push(`offer ${to} ${path}`);
      return Promise.resolve(info({ outgoing: true }));
    },
    accept: (id?: string) => {
      calls.push(`accept ${id}`);
      if (id === "dead") return Promise.reject(new FileTransferError("no pending file offer dead"));
      return Promise.resolve(info());
    },
    reject: (id?: string, reason?: string) => {
      calls.push(`reject ${id} ${reason}`);
      return info();
    },
    cancel: (id?: string) => {
      calls.push(`cancel ${id}`);
      return Promise.resolve(info());
    },
    list: () => [{ ...info(), status: "offered", reason: "" }],
    pending: () => [info()],
  };
}

Deno.test("runFileCommand: calls FileTransfers and turns its refusals into lines", async () => {
  const calls: string[] = [];
  const files = fakeFiles(calls);
  assert.deepEqual(await runFileCommand(files, { kind: "file", user: "bob", path: "a" }, s), []);
  assert.deepEqual(await runFileCommand(files, { kind: "accept" }, s), []);
  assert.deepEqual(await runFileCommand(files, { kind: "reject", id: "3f2a" }, s), []);
  assert.deepEqual(await runFileCommand(files, { kind: "cancel", id: "3f2a" }, s), []);
  assert.deepEqual(calls, [
    "offer bob a",
    "accept undefined",
    "reject 3f2a undefined",
    "cancel 3f2a",
  ]);
  assert.deepEqual(await runFileCommand(files, { kind: "accept", id: "dead" }, s), [
    "no pending file offer dead",
  ]);
  const listed = await runFileCommand(files, { kind: "files" }, s);
  assert.equal(listed.length, 1);
  assert.match(listed[0]!, /3f2a ← bob report\.pdf \(2\.10 MiB\) offered — \/accept 3f2a/);
});

Deno.test("formatFileEvent: an incoming offer says how to answer it", () => {
  const line = formatFileEvent({ type: "file-offered", transfer: info() }, s);
  assert.equal(line, "bob offers report.pdf (2.10 MiB) — /accept 3f2a or /reject 3f2a");
});

Deno.test("formatFileEvent: names and reasons from peers are sanitized", () => {
  const transfer = info({ name: "a\x1b[2Jb" });
  const line = formatFileEvent({ type: "file-failed", transfer, reason: "x\ny" }, s)!;
  assert.ok(!line.includes("\x1b") && !line.includes("\n"), line);
  assert.match(line, /failed/);
});

Deno.test("formatFileEvent: complete, rejected, resumed and fresh starts", () => {
  const done = formatFileEvent({ type: "file-complete", transfer: info({ path: "/d/r.pdf" }) }, s);
  assert.match(done!, /Received report\.pdf .* from bob → \/d\/r\.pdf/);
  const out = info({ outgoing: true });
  const rejected = formatFileEvent({ type: "file-rejected", transfer: out, reason: "no" }, s);
  assert.equal(rejected, "bob did not take report.pdf: no");
  assert.equal(formatFileEvent({ type: "file-started", transfer: out, fromByte: 0 }, s), undefined);
  assert.match(
    formatFileEvent({ type: "file-started", transfer: out, fromByte: 1024 }, s)!,
    /Resuming report\.pdf to bob at 1\.00 KiB/,
  );
});

Deno.test("fileEventLines: progress only at each new quarter, up to 100 %", () => {
  const lines = fileEventLines(s);
  const transfer = info({ size: 100 });
  const progress = (doneBytes: number): FileEvent => ({
    type: "file-progress",
    transfer,
    doneBytes,
  });
  const shown = [10, 26, 30, 51, 74, 76, 100].map((n) => lines(progress(n)));
  assert.deepEqual(shown.map((l) => l === undefined ? "-" : l.match(/\d+%/)![0]), [
    "-",
    "26%",
    "-",
    "51%",
    "-",
    "76%",
    "100%",
  ]);
  assert.equal(lines(progress(100)), undefined, "100 % once");
});
