import assert from "node:assert/strict";
import {
  RETIRED_KEY_COOLING_OFF_MS,
  retiredKeyRefusal,
} from "../../src/rendezvous/retired_keys.ts";

const T0 = 1_700_000_000_000;

Deno.test("retiredKeyRefusal: a key alice moved away from is refused to another account for 30 days", () => {
  assert.equal(RETIRED_KEY_COOLING_OFF_MS, 30 * 24 * 60 * 60 * 1000);
  const retirements = [{ username: "alice", retiredAt: T0 }];
  const reason = retiredKeyRefusal(retirements, "mallory", T0 + 1000);
  assert.match(reason ?? "", /retired from another account on 2023-11-14T22:13:20.000Z/);
  assert.match(reason ?? "", /before 2023-12-14T22:13:20.000Z/);
  assert.ok(retiredKeyRefusal(retirements, "mallory", T0 + RETIRED_KEY_COOLING_OFF_MS - 1));
  assert.equal(
    retiredKeyRefusal(retirements, "mallory", T0 + RETIRED_KEY_COOLING_OFF_MS),
    undefined,
  );
});

Deno.test("retiredKeyRefusal: the account the key left may take it back; an unretired key is free", () => {
  assert.equal(retiredKeyRefusal([{ username: "alice", retiredAt: T0 }], "alice", T0), undefined);
  assert.equal(retiredKeyRefusal([], "mallory", T0), undefined);
});

Deno.test("retiredKeyRefusal: the latest retirement from another account counts", () => {
  const retirements = [
    { username: "alice", retiredAt: T0 },
    { username: "bob", retiredAt: T0 + RETIRED_KEY_COOLING_OFF_MS },
  ];
  // bob's retirement still blocks carol after alice's has cooled off ...
  assert.match(
    retiredKeyRefusal(retirements, "carol", T0 + RETIRED_KEY_COOLING_OFF_MS + 1) ?? "",
    /before 2024-01-13T22:13:20.000Z/,
  );
  // ... and alice, once it has cooled off from her, is held back only by bob's.
  assert.ok(retiredKeyRefusal(retirements, "alice", T0 + RETIRED_KEY_COOLING_OFF_MS + 1));
  assert.equal(
    retiredKeyRefusal(retirements, "bob", T0 + RETIRED_KEY_COOLING_OFF_MS + 1),
    undefined,
  );
});
