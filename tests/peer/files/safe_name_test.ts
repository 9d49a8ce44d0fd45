import assert from "node:assert/strict";
import { freeName, numberedName, safeBaseName } from "../../../src/peer/files/safe_name.ts";

Deno.test("a received name is reduced to a safe base name", () => {
  assert.equal(safeBaseName("../../etc/passwd"), "passwd");
  assert.equal(safeBaseName("..\\..\\Windows\\evil.exe"), "evil.exe");
  assert.equal(safeBaseName("/abs/path/report.pdf"), "report.pdf");
  assert.equal(safeBaseName("a\u0000b\u001b[31mc\u007f.txt"), "ab[31mc.txt");
  assert.equal(safeBaseName("photo\u202egnp.exe"), "photognp.exe");
  assert.equal(safeBaseName('what?*:"<>|.txt'), "what_______.txt");
  assert.equal(safeBaseName("trailing dots... "), "trailing dots");
  assert.equal(safeBaseName(".bashrc"), ".bashrc");
});

Deno.test("'.', '..', empty and separator-only names become the fallback", () => {
  for (const name of ["", ".", "..", "...", "/", "foo/", "../..", " ", "\u0000"]) {
    assert.equal(safeBaseName(name), "file", JSON.stringify(name));
  }
});

Deno.test("a long name is cut to at most 200 UTF-8 bytes, keeping its extension", () => {
  const name = safeBaseName("é".repeat(300) + ".txt");
  assert.ok(new TextEncoder().encode(name).length <= 200);
  assert.ok(name.endsWith(".txt"));
});

Deno.test("a taken name gets a suffix instead of being overwritten", () => {
  assert.equal(numberedName("report.tar.gz", 2), "report (2).tar.gz");
  assert.equal(numberedName(".bashrc", 1), ".bashrc (1)");
  const taken = new Set(["a.txt", "a (1).txt"]);
  assert.equal(freeName("a.txt", (n) => taken.has(n)), "a (2).txt");
  assert.equal(freeName("b.txt", (n) => taken.has(n)), "b.txt");
});
