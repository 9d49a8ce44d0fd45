/**
 * Mail is committed before its deposit is acknowledged: a rendezvous killed with SIGKILL right
 * after acknowledging a deposit still holds it when it starts again, and the recipient gets it.
 */
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { MAIN, PERMISSIONS } from "./cli_process.ts";
import { stopAll } from "./harness.ts";
import { mailCount } from "./mailbox_helpers.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

/** A TCP port free on loopback now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `tincan rendezvous` as a child process; resolves once it printed its address. */
async function spawnRendezvous(dataDir: string, port: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      MAIN,
      "rendezvous",
      "--data",
      dataDir,
      "--listen",
      `/ip4/127.0.0.1/tcp/${port}`,
      "--name",
      "kill-test",
    ],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const deadline = Date.now() + 30_000;
  while (!buffer.includes("\n")) {
    if (Date.now() > deadline) throw new Error("the rendezvous printed no address within 30 s");
    const { value, done } = await reader.read();
    if (done) throw new Error("the rendezvous exited before printing its address");
    buffer += value;
  }
  const address: Multiaddr = multiaddr(buffer.split("\n")[0]!);
  const kill = async (signal: Deno.Signal) => {
    child.kill(signal);
    const status = await child.status;
    await reader.cancel().catch(() => {});
    return status;
  };
  return { address, kill };
}

Deno.test("mailbox: a deposit acknowledged just before a kill -9 of the rendezvous is delivered after it restarts", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tincan-kill-" });
  const port = freePort();
  let rendezvous = await spawnRendezvous(dataDir, port);
  const peers: TestPeer[] = [];
  try {
    const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
    const firstBob = await startPeer(rendezvous.address, "bob", { profileDir: bobDir });
    await firstBob.stop();
    const alice = await startPeer(rendezvous.address, "alice");
    peers.push(alice);
    const id = await alice.peer.send("bob", "survive the crash");
    await alice.next("queued", (q) => q.id === id);
    const killed = await rendezvous.kill("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    await alice.stop();
    assert.equal(mailCount(dataDir, "bob"), 1, "the mail is on disk after the kill");

    rendezvous = await spawnRendezvous(dataDir, port);
    const bob = await startPeer(rendezvous.address, "bob", { profileDir: bobDir });
    peers.push(bob);
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.text, "survive the crash");
    assert.equal(got.via, "mailbox");
  } finally {
    await stopAll(...peers);
    await rendezvous.kill("SIGTERM").catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
});
