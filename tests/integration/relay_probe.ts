/**
 * Run inside a lab namespace by connectivity_lab_test.ts: a node that is NOT logged in connects
 * to the relay at Deno.args[0] and asks it for a reservation. Prints "reserved" or
 * "refused: <why>" and exits.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../../src/net/node.ts";

const relay = multiaddr(Deno.args[0]!);
const node = await createNode({
  privateKey: await generateKeyPair("Ed25519"),
  listen: ["/ip6/::/tcp/0"],
  agent: "tincan-probe",
  relayClient: true,
});
try {
  await node.dial(relay, { signal: AbortSignal.timeout(10_000) });
  await node.services.controls.listen([relay.encapsulate("/p2p-circuit")]);
  // A refused reservation may leave the listener without addresses rather than throw.
  if (!node.getMultiaddrs().some((a) => a.toString().includes("/p2p-circuit"))) {
    throw new Error("no relayed address after listening");
  }
  // deno-lint-ignore no-console -- the test reads the outcome from stdout
  console.log("reserved");
} catch (err: unknown) {
  // deno-lint-ignore no-console -- the test reads the outcome from stdout
  console.log(`refused: ${(err as Error).message.replaceAll("\n", " ")}`);
} finally {
  // A refused reservation leaves the relay transport retrying; do not wait for it to stop.
  await Promise.race([node.stop(), new Promise((resolve) => setTimeout(resolve, 2000))]);
  Deno.exit(0);
}
