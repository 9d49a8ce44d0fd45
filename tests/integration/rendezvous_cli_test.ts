/** Runs the real `tincan rendezvous` command as a process, as an operator would. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=networkInterfaces",
];

/** Starts the command, returns its first stdout lines (the addresses) and a stop function. */
async function start(dataDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      MAIN,
      "rendezvous",
      "--data",
      dataDir,
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--name",
      "cli-test",
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const deadline = AbortSignal.timeout(30_000);
  while (!buffer.includes("\n")) {
    if (deadline.aborted) throw new Error("the rendezvous printed no address within 30 s");
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
  }
  const addresses = buffer.split("\n").filter((l) => l !== "");
  const stop = async () => {
    child.kill("SIGTERM");
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    const stderr = await new Response(child.stderr).text();
    return { status, stderr };
  };
  return { addresses, stop };
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
