import assert from "node:assert/strict";
import { formatUsers, parseAdminArgs } from "../../../src/cli/commands/admin.ts";
import { UsageError } from "../../../src/errors.ts";

Deno.test("admin args: each action, with --data", () => {
  assert.deepEqual(parseAdminArgs(["--data", "/srv/rv", "users"]), {
    help: false,
    dataDir: "/srv/rv",
    action: "users",
  });
  for (const action of ["disable", "enable", "delete", "keylog"]) {
    assert.deepEqual(parseAdminArgs([action, "alice"]), {
      help: false,
      dataDir: "./tincan-rendezvous",
      action,
      username: "alice",
    });
  }
  assert.deepEqual(parseAdminArgs(["--help"]), { help: true });
});

Deno.test("admin args: a missing or unknown action or name is a UsageError", () => {
  assert.throws(() => parseAdminArgs([]), /an action is needed/);
  assert.throws(() => parseAdminArgs(["ban", "alice"]), /unknown action "ban"/);
  assert.throws(() => parseAdminArgs(["disable"]), /disable needs a NAME/);
  assert.throws(() => parseAdminArgs(["users", "x"]), UsageError);
  assert.throws(() => parseAdminArgs(["delete", "a", "b"]), /unexpected "b"/);
  assert.throws(() => parseAdminArgs(["--bogus"]), UsageError);
});

Deno.test("admin users: one aligned line per account", () => {
  const text = formatUsers([{
    username: "alice",
    createdAt: Date.UTC(2026, 0, 2),
    disabledAt: 5,
    keyChanges: 1,
    oneTimePrekeys: 100,
    mailCount: 2,
    mailBytes: 300,
  }]);
  assert.deepEqual(text.split("\n"), [
    "USER   STATUS    CREATED     MAIL  BYTES  PREKEYS  KEY CHANGES",
    "alice  disabled  2026-01-02  2     300    100      1",
  ]);
});
