import assert from "node:assert/strict";
import { RemoteRate } from "../../../src/rendezvous/federation/remote_rate.ts";

Deno.test("RemoteRate: a burst at once, then the rate, per remote", () => {
  const rate = new RemoteRate(60, 3);
  for (let i = 0; i < 3; i++) assert.equal(rate.take("work", 0), undefined);
  assert.equal(rate.take("work", 0), 1000);
  assert.equal(rate.take("lab", 0), undefined, "another remote has its own bucket");
  assert.equal(rate.take("work", 500), 500);
  assert.equal(rate.take("work", 1000), undefined);
  assert.equal(rate.take("work", 1000), 1000);
  // idle time refills up to the burst, not beyond
  for (let i = 0; i < 3; i++) assert.equal(rate.take("work", 3_600_000), undefined);
  assert.ok(rate.take("work", 3_600_000) !== undefined);
});
