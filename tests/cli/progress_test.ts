import assert from "node:assert/strict";
import { formatProgress, RateMeter } from "../../src/cli/progress.ts";
import { formatBytes, formatDuration, parseSize } from "../../src/units.ts";

Deno.test("the progress line shows bytes, percent, bar, rate and ETA", () => {
  const line = formatProgress({
    label: "→ bob a.bin",
    doneBytes: 25 * 1024 * 1024,
    totalBytes: 50 * 1024 * 1024,
    rate: 5 * 1024 * 1024,
  });
  assert.equal(
    line,
    "→ bob a.bin  [##########----------]  50%  25.0 MiB / 50.0 MiB  5.00 MiB/s  ETA 0:05",
  );
});

Deno.test("without a rate the progress line shows no ETA; an empty file is 100%", () => {
  assert.match(
    formatProgress({ label: "x", doneBytes: 0, totalBytes: 10, rate: undefined }),
    /\[-{20}\] {3}0% {2}0 B \/ 10 B {2}-- {2}ETA --:--$/,
  );
  assert.match(formatProgress({ label: "x", doneBytes: 0, totalBytes: 0, rate: 1 }), /100%/);
});

Deno.test("the rate meter averages over its window", () => {
  const meter = new RateMeter(1000);
  assert.equal(meter.rate(), undefined);
  meter.add(0, 0);
  meter.add(500, 1000);
  assert.equal(meter.rate(), 2000);
  meter.add(3000, 2000);
  meter.add(3500, 4000);
  assert.equal(meter.rate(), 4000);
});

Deno.test("sizes and durations format and parse", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(2 * 1024 ** 3), "2.00 GiB");
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Infinity), "--:--");
  assert.equal(parseSize("2GiB"), 2 * 1024 ** 3);
  assert.equal(parseSize("500 MB"), 500_000_000);
  assert.equal(parseSize("64k"), 65536);
  assert.equal(parseSize("1048576"), 1048576);
  assert.throws(() => parseSize("-1"), RangeError);
  assert.throws(() => parseSize("lots"), RangeError);
});
