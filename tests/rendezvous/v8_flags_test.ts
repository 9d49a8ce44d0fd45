import assert from "node:assert/strict";
import { RENDEZVOUS_V8_FLAGS } from "../../src/rendezvous/v8_flags.ts";

Deno.test("deno task rendezvous runs with the rendezvous role's V8 flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const task: string = config.tasks.rendezvous;
  assert.ok(
    task.split(" ").includes(`--v8-flags=${RENDEZVOUS_V8_FLAGS.join(",")}`),
    `deno.json's rendezvous task: ${task}`,
  );
});
