import assert from "node:assert/strict";
import { parseFlags } from "../../src/cli/parse.ts";
import { UsageError } from "../../src/errors.ts";

const OPTIONS = { listen: { type: "string", multiple: true } } as const;

Deno.test("parseFlags: a leading -- (from `deno task x -- …`) is dropped", () => {
  const { values } = parseFlags("rendezvous", ["--", "--listen", "/ip4/0.0.0.0/tcp/1"], OPTIONS);
  assert.deepEqual(values.listen, ["/ip4/0.0.0.0/tcp/1"]);
});

Deno.test("parseFlags: a -- later still ends the options", () => {
  assert.throws(
    () => parseFlags("rendezvous", ["--listen", "/ip4/0.0.0.0/tcp/1", "--", "--name"], OPTIONS),
    UsageError,
  );
  const { positionals } = parseFlags("send", ["--", "--", "-x"], OPTIONS, true);
  assert.deepEqual(positionals, ["-x"]);
});
