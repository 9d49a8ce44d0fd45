import assert from "node:assert/strict";
import { ROUTE_COMMANDS } from "../../../src/cli/repl/route_commands.ts";
import type { ReplRuntime } from "../../../src/cli/repl/registry.ts";
import { replRegistry } from "../../../src/cli/repl/command_table.ts";

const registry = replRegistry({ rooms: true, files: true });

Deno.test("/route parses a user, else the current conversation's; a room or extra words are usage", () => {
  const parse = (line: string, target?: string) => registry.parse(line, { self: "alice", target });
  const bob = parse("/route Bob");
  assert.ok(bob.kind === "command" && ROUTE_COMMANDS.includes(bob.entry as never));
  assert.deepEqual(bob.command, { user: "bob" });
  const current = parse("/route", "carol");
  assert.deepEqual(current.kind === "command" && current.command, { user: "carol" });
  assert.match(
    parse("/route").kind === "usage" ? (parse("/route") as { message: string }).message : "",
    /Usage: \/route <user>/,
  );
  assert.equal(parse("/route", "#ops").kind, "usage");
  assert.equal(parse("/route bob carol").kind, "usage");
  assert.equal(parse("/route B@d").kind, "usage");
  assert.ok(registry.help().some((line) => line.includes("/route <user>")));
});

Deno.test("/route prints the peer's route lines", async () => {
  const printed: string[] = [];
  const route = (user: string) =>
    Promise.resolve({
      user,
      carrier: "relayed" as const,
      address: "/ip6/3fff::10/tcp/4001/p2p/R/p2p-circuit/p2p/B",
      attempts: [],
      lines: [`${user}: relayed via home`, "  direct: dial timed out after 1.5 s"],
    });
  const [entry] = ROUTE_COMMANDS;
  await entry!.run(
    { user: "bob" },
    {
      peer: { route },
      print: (text: string) => printed.push(text),
    } as Pick<ReplRuntime, "print"> & { peer: Pick<ReplRuntime["peer"], "route"> } as ReplRuntime,
  );
  assert.deepEqual(printed, ["bob: relayed via home\n  direct: dial timed out after 1.5 s"]);
});
