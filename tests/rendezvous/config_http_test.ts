/** --http: loopback alone, HOST:PORT or [::1]:PORT with one. */
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { DEFAULT_HTTP } from "../../src/rendezvous/config_options.ts";
import { parseHttpAddress } from "../../src/rendezvous/config_http.ts";
import { parseRendezvousArgs } from "./config_harness.ts";

Deno.test("rendezvous args: --http alone listens on loopback; with an address, there", () => {
  assert.deepEqual(parseRendezvousArgs(["--http"]).http, { hostname: "127.0.0.1", port: 8080 });
  assert.deepEqual(
    parseRendezvousArgs(["--http", "--name", "x"]).http,
    parseHttpAddress(DEFAULT_HTTP),
  );
  assert.deepEqual(parseRendezvousArgs(["--http", "0.0.0.0:9000"]).http, {
    hostname: "0.0.0.0",
    port: 9000,
  });
  assert.deepEqual(parseRendezvousArgs(["--http=[::1]:8081"]).http, {
    hostname: "::1",
    port: 8081,
  });
  assert.throws(() => parseRendezvousArgs(["--http", "8080"]), /--http "8080" must be HOST:PORT/);
  assert.throws(() => parseRendezvousArgs(["--http", "h:70000"]), UsageError);
});
