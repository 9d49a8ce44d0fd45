/** Runs the real `tincan rendezvous` command as a process, as an operator would. */
import assert from "node:assert/strict";
import { spawnRendezvous } from "./rendezvous_process.ts";

/** Starts the command, returns its first stdout lines (the addresses) and a stop function. */
async function start(dataDir: string) {
  const child = await spawnRendezvous(dataDir, 0, "cli-test", [], { stderr: true });
  const stop = async () => {
    const status = await child.kill("SIGTERM");
    return { status, stderr: await child.stderr() };
  };
  return { addresses: child.addresses, stop };
}

Deno.test("tincan rendezvous prints its addresses with /p2p/, keeps its PeerId and exits on SIGTERM", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tincan-cli-" });
  try {
    const first = await start(dataDir);
    assert.equal(first.addresses.length, 1);
    const match = first.addresses[0]!.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/(12D3Koo\w+)$/);
    assert.ok(match, `unexpected address line: ${first.addresses[0]}`);
    const stopped = await first.stop();
    assert.equal(stopped.status.code, 0);
    assert.match(stopped.stderr, /stopping the rendezvous/);

    const keyMode = (await Deno.stat(`${dataDir}/node.key`)).mode! & 0o777;
    assert.equal(keyMode, 0o600);

    const second = await start(dataDir);
    assert.ok(second.addresses[0]!.endsWith(`/p2p/${match[1]}`), "the PeerId changed on restart");
    assert.equal((await second.stop()).status.code, 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
