import assert from "node:assert/strict";
import { libp2pLogger, SILENT_LOGGER } from "../../src/net/quiet_logger.ts";

Deno.test("the silent libp2p logger is one shared do-nothing logger for every component", () => {
  const a = SILENT_LOGGER.forComponent("libp2p:yamux");
  const b = SILENT_LOGGER.forComponent("libp2p:connection");
  assert.equal(a, b, "no logger is created per component (or per connection)");
  assert.equal(a.newScope("stream"), a);
  assert.equal(a.enabled, false);
  a("nothing %s", "happens");
  a.error("nor here");
  a.trace("nor here");
});

Deno.test("libp2p's own debug logger is kept when DEBUG asks for it", () => {
  const before = Deno.env.get("DEBUG");
  try {
    Deno.env.set("DEBUG", "libp2p:*");
    assert.equal(libp2pLogger(), undefined);
    Deno.env.delete("DEBUG");
    assert.equal(libp2pLogger(), SILENT_LOGGER);
  } finally {
    if (before === undefined) Deno.env.delete("DEBUG");
    else Deno.env.set("DEBUG", before);
  }
});
