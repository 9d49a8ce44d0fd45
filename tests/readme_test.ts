/**
 * The README stays true: its commands match the pinned Deno version and the deno.json tasks, and
 * its script example runs for real against a throw-away rendezvous.
 */
import assert from "node:assert/strict";
import { parseRendezvousConfig } from "../src/rendezvous/config.ts";
import { RENDEZVOUS_OPTIONS } from "../src/rendezvous/config_options.ts";
import { COMMANDS } from "../src/cli/dispatch.ts";
import { childEnv, runTincan, spawnTincan } from "./integration/cli_process.ts";
import { stopAll, waitFor, within, withRendezvous } from "./integration/harness.ts";

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
Deno.test("the README's command table names every command", () => {
  for (const { name } of COMMANDS) {
    assert.match(readme, new RegExp(`^\\| \`tincan ${name}[ \`]`, "m"), name);
  }
});

/** One line of a shell script, split the way sh would (quotes, `&`, `# comment`). */
interface ScriptLine {
  readonly words: string[];
  readonly background: boolean;
  readonly comment: string;
}

/** Splits one simple sh line: words, single and double quotes, a trailing `&`, a `#` comment. */
function shellLine(line: string): ScriptLine {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  let comment = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "#" && !inWord) {
      comment = line.slice(i + 1).trim();
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  assert.equal(quote, undefined, `unterminated quote in: ${line}`);
  if (inWord) words.push(word);
  const background = words.at(-1) === "&";
  if (background) words.pop();
  return { words, background, comment };
}

/** The README's script example ("A script can talk too"), line by line. */
function scriptExample(): ScriptLine[] {
  const block = /A script can talk too:\s*```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "the README has no script example");
  return block[1]!.split("\n").filter((l) => l.trim() !== "").map(shellLine);
}

Deno.test("the README's script example is listen --json --count 1 in the background, then send", () => {
  const [password, listen, send] = scriptExample();
  assert.match(password!.words.join(" "), /^export TINCAN_PASSWORD=/);
  assert.deepEqual(listen!.words.slice(0, 2), ["tincan", "listen"]);
  assert.ok(listen!.background);
  assert.ok(listen!.words.includes("--json"));
  assert.deepEqual(send!.words.slice(0, 2), ["tincan", "send"]);
  assert.ok(!send!.background);
});

Deno.test({
  name: "the README's script example runs: listen prints the message send delivered",
  async fn() {
    const script = scriptExample();
    const commands = script.filter((l) => l.words[0] === "tincan");
    const { rendezvous, address } = await withRendezvous();
    const home = await Deno.makeTempDir({ prefix: "tincan-readme-" });
    // The README's `export TINCAN_PASSWORD=…` is the test password; its rendezvous is this one.
    const env = childEnv({
      HOME: home,
      XDG_DATA_HOME: `${home}/data`,
      TINCAN_RENDEZVOUS: address.toString(),
    });
    const background: ReturnType<typeof spawnTincan>[] = [];
    try {
      const users = new Set(commands.map((c) => c.words[c.words.indexOf("--user") + 1]!));
      for (const user of users) {
        const registered = await runTincan(["register", "--user", user], env);
        assert.equal(registered.code, 0, registered.stderr);
      }
      let sent: { args: string[]; stdout: string; comment: string } | undefined;
      for (const { words, background: bg, comment } of commands) {
        const args = words.slice(1);
        if (bg) {
          const child = spawnTincan(args, env);
          background.push(child);
          await waitFor(
            `${args[0]} to start`,
            () => child.stderr().includes("listening as"),
            30_000,
          );
          continue;
        }
        const result = await runTincan(args, env);
        assert.equal(result.code, 0, result.stderr);
        sent = { args, stdout: result.stdout, comment };
      }
      assert.ok(sent, "the script sends nothing");
      // `# prints: delivered (direct) …`: bob is listening on this machine, so "delivered (direct)".
      const promised = /prints: (\w+ \(\w+\))/.exec(sent.comment)?.[1];
      assert.equal(promised, "delivered (direct)");
      assert.equal(sent.stdout, `${promised}\n`);

      const [listener] = background;
      const status = await within("listen --count 1 to exit", listener!.status, 15_000);
      assert.equal(status.code, 0, listener!.stderr());
      const lines = listener!.stdout().trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines.length, 1);
      const text = sent.args.at(-1);
      assert.deepEqual(
        { type: lines[0].type, from: lines[0].from, to: lines[0].to, text: lines[0].text },
        {
          type: "message",
          from: sent.args[sent.args.indexOf("--user") + 1],
          to: sent.args[sent.args.indexOf("--to") + 1],
          text,
        },
      );
    } finally {
      for (const child of background) await child.kill();
      await stopAll(rendezvous);
      await Deno.remove(home, { recursive: true });
    }
  },
});

/** The README's "Running a rendezvous" command, split into words. */
function rendezvousCommand(): string[] {
  const block = /## Running a rendezvous\s*```sh\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(block, "the README has no rendezvous command");
  // One command, continued over lines with a trailing backslash.
  return shellLine(block[1]!.replace(/\\\n\s*/g, " ")).words;
}

Deno.test({
  name: "the README's rendezvous command runs as written (with its `--`), on a free port",
  async fn() {
    const words = rendezvousCommand();
    assert.deepEqual(words.slice(0, 5), ["npx", "-y", `deno@${pinned}`, "task", "rendezvous"]);
    const data = await Deno.makeTempDir({ prefix: "tincan-readme-rendezvous-" });
    // The same words after `deno task rendezvous`, but on a free port and a throw-away data dir.
    const args = words.slice(5).map((word, i, all) =>
      all[i - 1] === "--listen"
        ? word.replace("/ip4/0.0.0.0/", "/ip4/127.0.0.1/").replace("/ip6/::/", "/ip6/::1/")
          .replace(/\/tcp\/\d+$/, "/tcp/0")
        : all[i - 1] === "--data"
        ? data
        : word
    );
    assert.equal(args[0], "--", "the README passes the flags after `--`");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "rendezvous", ...args],
      cwd: new URL(".", root).pathname,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stdout = "";
    let stderr = "";
    const drained = Promise.all([
      (async () => {
        for await (const s of child.stdout.pipeThrough(new TextDecoderStream())) stdout += s;
      })(),
      (async () => {
        for await (const s of child.stderr.pipeThrough(new TextDecoderStream())) stderr += s;
      })(),
    ]);
    try {
      await waitFor(
        "the rendezvous to print its address",
        () => /\/p2p\/\w+/.test(stdout) || stderr.includes("Unexpected argument"),
        60_000,
      );
      assert.doesNotMatch(stderr, /Unexpected argument/);
      // It prints the addresses it announces (the README's --announce), each with its /p2p/.
      const announced = args.filter((_, i) => args[i - 1] === "--announce");
      assert.ok(announced.length > 0, "the README's command announces its public addresses");
      for (const address of announced) assert.ok(stdout.includes(`${address}/p2p/`), address);
    } finally {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      await drained;
      await child.status;
      await Deno.remove(data, { recursive: true });
    }
  },
});

Deno.test("the README's two federation configs are valid and list each other by name and PeerId", () => {
  const configs = [...readme.matchAll(/```toml\n(# (home|work)\.toml[\s\S]*?)```/g)].map(
    ([, text, name]) => ({
      name: name!,
      config: parseRendezvousConfig(["--config", `${name}.toml`], () => text!),
    }),
  );
  assert.deepEqual(configs.map((c) => c.name), ["home", "work"]);
  const [home, work] = configs.map((c) => c.config);
  assert.deepEqual(home!.federate.map((n) => n.name), ["work"]);
  assert.deepEqual(work!.federate.map((n) => n.name), ["home"]);
  // each lists the other at the address the other announces
  assert.ok(home!.federate[0]!.address.toString().startsWith(work!.announce[0]!));
  assert.ok(work!.federate[0]!.address.toString().startsWith(home!.announce[0]!));
});
