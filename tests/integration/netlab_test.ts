/**
 * The network lab itself: a host behind a home router reaches the internet (its connections
 * arrive from the router's public address), while nothing on the internet can open a connection
 * to it.
 */
import assert from "node:assert/strict";
import { createNetLab, type LabHost, netlabUnavailable } from "./netlab.ts";

const unavailable = await netlabUnavailable();
// deno-lint-ignore no-console -- the skip reason belongs in the test output
if (unavailable) console.log(`netlab tests skipped: ${unavailable}`);

/** A TCP server in `host` that writes each client's address back and closes. */
const ECHO_ADDRESS = `
const listener = Deno.listen({ hostname: "::", port: 7000, transport: "tcp" });
console.log("ready");
for await (const conn of listener) {
  const remote = conn.remoteAddr;
  await conn.write(new TextEncoder().encode(remote.hostname));
  conn.close();
}`;

/** Connects from `host` to [address]:7000; returns what the server wrote or the error's name. */
const DIAL = (address: string) => `
try {
  const conn = await Promise.race([
    Deno.connect({ hostname: "${address}", port: 7000 }),
    new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000)),
  ]);
  const buf = new Uint8Array(100);
  const n = await conn.read(buf);
  console.log(new TextDecoder().decode(buf.subarray(0, n ?? 0)));
  Deno.exit(0);
} catch (err) {
  console.log("failed: " + err.message);
  Deno.exit(0);
}`;

Deno.test({
  name: "netlab: a NATed host dials out from the router's address and cannot be dialled in",
  ignore: unavailable !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lab = await createNetLab();
    // Only this lab's namespaces: another test's lab may be running at the same time.
    const made: string[] = [];
    const servers: Deno.ChildProcess[] = [];
    try {
      const server = await lab.publicHost("srv", 0x10);
      const home = await lab.natHost("home", 0x21);
      made.push(server.ns, home.ns, home.router.ns);
      const startEcho = async (host: LabHost) => {
        const [cmd, ...args] = lab.exec(host, [Deno.execPath(), "eval", ECHO_ADDRESS]);
        const child = new Deno.Command(cmd!, { args, stdout: "piped", stderr: "null" }).spawn();
        servers.push(child);
        const reader = child.stdout.getReader();
        const { value } = await reader.read();
        assert.match(new TextDecoder().decode(value), /ready/);
        reader.releaseLock();
      };
      const dial = async (from: LabHost, to: string) => {
        const [cmd, ...args] = lab.exec(from, [Deno.execPath(), "eval", DIAL(to)]);
        const out = await new Deno.Command(cmd!, { args, stderr: "null" }).output();
        return new TextDecoder().decode(out.stdout).trim();
      };
      await startEcho(server);
      await startEcho(home);
      assert.equal(await dial(home, server.address), home.router.address);
      assert.match(await dial(server, home.address), /^failed/);
      assert.match(await dial(server, home.router.address), /^failed/);
    } finally {
      for (const child of servers) {
        child.kill();
        await child.status;
      }
      await lab.close();
    }
    const left = new TextDecoder().decode(
      (await new Deno.Command("ip", { args: ["netns", "list"] }).output()).stdout,
    ).split("\n").map((line) => line.split(" ")[0]);
    for (const ns of made) assert.ok(!left.includes(ns), `the lab left ${ns} behind`);
  },
});
