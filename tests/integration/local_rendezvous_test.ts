/**
 * The README's first command: `tincan chat` with no rendezvous anywhere starts one in-process on
 * the local default address; a second chat uses it; when the first chat exits, the next one takes
 * the local rendezvous over (same data, same PeerId) and the conversation goes on.
 */
import assert from "node:assert/strict";
import { childEnv, type ChildPlace, type RunningTincan, spawnTincan } from "./cli_process.ts";
import { waitFor } from "./harness.ts";
import { createNetLab, netlabUnavailable } from "./netlab.ts";

/** Whether something already listens on the local default rendezvous port. */
async function portTaken(): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port: 4001 })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the chats run: in a network namespace of their own when one can be made (its loopback,
 * and so 127.0.0.1:4001, is theirs alone: parallel runs cannot collide), else on this machine's
 * loopback, where the tests are skipped when the port is taken.
 */
const ISOLATED = await netlabUnavailable() === undefined;
const SKIP = !ISOLATED && await portTaken()
  ? " (skipped: 127.0.0.1:4001 is taken here and no network namespace can be made; this test " +
    "would talk to that process)"
  : "";

/**
 * This Deno's cache, for the chats: their HOME is a fresh directory (so is the cache under it,
 * which would be downloaded again, and cannot be inside a namespace with no way out).
 */
const DENO_DIR: string = JSON.parse(
  new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).output())
      .stdout,
  ),
).denoDir;

/** Runs `fn` with the place the chats run in (a fresh namespace, or nowhere special). */
async function isolated(fn: (place: ChildPlace) => Promise<void>): Promise<void> {
  if (!ISOLATED) return await fn({});
  const lab = await createNetLab();
  try {
    const host = await lab.publicHost("local", 1);
    await fn({ within: (argv) => lab.exec(host, argv) });
  } finally {
    await lab.close();
  }
}

Deno.test({
  name: "chats share an embedded local rendezvous, and one takes it over when its host exits" +
    SKIP,
  ignore: SKIP !== "",
  fn: () =>
    isolated(async (place) => {
      const home = await Deno.makeTempDir({ prefix: "tincan-home-" });
      const env = childEnv({ XDG_DATA_HOME: home, HOME: home, DENO_DIR });
      const chat = (user: string) =>
        spawnTincan(["chat", "--user", user], env, { stdin: true, ...place });
      const running: RunningTincan[] = [];
      try {
        const alice = chat("alice");
        running.push(alice);
        await waitFor(
          "alice starts the local rendezvous",
          () => /started one in this process/.test(alice.stderr()),
          60_000,
        );
        await waitFor("alice logged in", () => /Logged in as alice/.test(alice.stdout()), 60_000);
        const bob = chat("bob");
        running.push(bob);
        await waitFor("bob logged in", () => /Logged in as bob/.test(bob.stdout()), 60_000);
        assert.doesNotMatch(bob.stderr(), /started one/);

        await alice.type("/quit");
        assert.equal((await alice.status).code, 0);
        await waitFor(
          "bob takes the rendezvous over",
          () => /started one in this process/.test(bob.stderr()),
          60_000,
        );

        const carol = chat("carol");
        running.push(carol);
        await waitFor("carol logged in", () => /Logged in as carol/.test(carol.stdout()), 60_000);
        await carol.type("/msg bob hello from carol");
        await waitFor(
          "bob gets carol's message",
          () => /hello from carol/.test(bob.stdout()),
          60_000,
        );
      } finally {
        for (const process of running.reverse()) await process.kill().catch(() => {});
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    }),
});

Deno.test({
  name:
    "a chat of another HOME does not take the local rendezvous over, says why, and restarts cleanly" +
    SKIP,
  ignore: SKIP !== "",
  fn: () =>
    isolated(async (place) => {
      const homeA = await Deno.makeTempDir({ prefix: "tincan-home-a-" });
      const homeG = await Deno.makeTempDir({ prefix: "tincan-home-g-" });
      const chat = (user: string, home: string) =>
        spawnTincan(
          ["chat", "--user", user],
          childEnv({ XDG_DATA_HOME: home, HOME: home, DENO_DIR }),
          { stdin: true, ...place },
        );
      const running: RunningTincan[] = [];
      try {
        const alice = chat("alice", homeA);
        running.push(alice);
        await waitFor("alice logged in", () => /Logged in as alice/.test(alice.stdout()), 60_000);
        assert.match(alice.stderr(), /started one in this process/);
        const gina = chat("gina", homeG);
        running.push(gina);
        await waitFor("gina logged in", () => /Logged in as gina/.test(gina.stdout()), 60_000);

        await alice.type("/quit");
        assert.equal((await alice.status).code, 0);
        await waitFor(
          "gina says she cannot take it over",
          () =>
            /cannot take it over: there is no local rendezvous data of yours/.test(gina.stderr()),
          60_000,
        );
        assert.doesNotMatch(gina.stderr() + gina.stdout(), /started one in this process/);
        await gina.type("/quit");
        assert.equal((await gina.status).code, 0);

        // Alone now, gina's next chat runs a rendezvous of her own: no pin error.
        const again = chat("gina", homeG);
        running.push(again);
        await waitFor(
          "gina's second chat logged in",
          () => /Logged in as gina/.test(again.stdout()) || /pinned/.test(again.stderr()),
          60_000,
        );
        assert.doesNotMatch(again.stderr(), /pinned/);
        assert.match(again.stderr(), /started one in this process/);
      } finally {
        for (const process of running.reverse()) await process.kill().catch(() => {});
        await Deno.remove(homeA, { recursive: true }).catch(() => {});
        await Deno.remove(homeG, { recursive: true }).catch(() => {});
      }
    }),
});
