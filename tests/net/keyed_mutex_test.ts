import assert from "node:assert/strict";
import { KeyedMutex } from "../../src/net/keyed_mutex.ts";

Deno.test("tasks of one key run one at a time, in order; other keys do not wait", async () => {
  const mutex = new KeyedMutex<string>();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const first = mutex.run("a", async () => {
    log.push("a1 start");
    await gate;
    log.push("a1 end");
    return 1;
  });
  const second = mutex.run("a", () => {
    log.push("a2");
    return 2;
  });
  const other = await mutex.run("b", () => "b");
  log.push(`b done ${other}`);
  assert.equal(mutex.busy("a"), true);
  release();
  assert.deepEqual(await Promise.all([first, second]), [1, 2]);
  assert.deepEqual(log, ["a1 start", "b done b", "a1 end", "a2"]);
});

Deno.test("a failing task rejects its own caller only, and the key is freed", async () => {
  const mutex = new KeyedMutex<number>();
  const failed = mutex.run(1, () => Promise.reject(new RangeError("no")));
  const next = mutex.run(1, () => "ok");
  await assert.rejects(failed, RangeError);
  assert.equal(await next, "ok");
  await Promise.resolve();
  assert.equal(mutex.busy(1), false);
});
