import assert from "node:assert/strict";
import {
  embeddedRendezvousDir,
  startEmbeddedRendezvous,
} from "../../src/embedded/local_rendezvous.ts";
import { fakeEnv } from "../cli/env.ts";

Deno.test("the embedded rendezvous lives under XDG_DATA_HOME, else ~/.local/share", () => {
  assert.equal(embeddedRendezvousDir(fakeEnv({ XDG_DATA_HOME: "/d" })), "/d/tincan/rendezvous");
  assert.equal(
    embeddedRendezvousDir(fakeEnv({ HOME: "/h" })),
    "/h/.local/share/tincan/rendezvous",
  );
  assert.throws(() => embeddedRendezvousDir(fakeEnv()), TypeError);
});

Deno.test("no embedded rendezvous for any address but the local default", async () => {
  const said: string[] = [];
  const started = await startEmbeddedRendezvous(
    "/ip4/127.0.0.1/tcp/4002",
    fakeEnv(),
    (l) => said.push(l),
  );
  assert.equal(started, undefined);
  assert.deepEqual(said, []);
});
