/** The README's commands must match the pinned Deno version and the deno.json tasks. */
import assert from "node:assert/strict";
import { parseRendezvousConfig, RENDEZVOUS_OPTIONS } from "../src/rendezvous/config.ts";

const root = new URL("../", import.meta.url);
const readme = await Deno.readTextFile(new URL("README.md", root));
const pinned = (await Deno.readTextFile(new URL(".deno-version", root))).trim();
const tasks = Object.keys(JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks);

Deno.test("the README's first two commands start a chat and run the tests with npx", () => {
  const commands = [...readme.matchAll(/^npx -y deno@([^\s`]+) task ([\w-]+)/gm)];
  assert.ok(commands.length >= 2);
  assert.equal(commands[0]![2], "chat");
  assert.equal(commands[1]![2], "test");
});

Deno.test("every deno version in the README is the pinned one, every task exists", () => {
  for (const [, version, task] of readme.matchAll(/deno@([^\s`]+) task ([\w-]+)/g)) {
    assert.equal(version, pinned);
    assert.ok(tasks.includes(task!), `README names a missing task: ${task}`);
  }
});

Deno.test("the README's config example is a valid rendezvous config naming every key", () => {
  const example = /```toml\n(# rv\.toml[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, "the README has the rv.toml example");
  const config = parseRendezvousConfig(["--config", "rv.toml"], () => example);
  assert.equal(config.name, "lobby");
  assert.deepEqual(config.http, { hostname: "127.0.0.1", port: 8080 });
  for (const flag of Object.keys(RENDEZVOUS_OPTIONS)) {
    const key = flag.replaceAll("-", "_");
    assert.match(example, new RegExp(`^(# )?${key} = `, "m"), `the example shows ${key}`);
  }
});
