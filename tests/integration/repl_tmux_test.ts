/**
 * The chat REPL through a real terminal: alice and bob each run the real `tincan chat` in a tmux
 * pane (a private tmux server), against a rendezvous this test starts, and the test types into
 * the panes and reads the screens.
 */
import assert from "node:assert/strict";
import { childEnv, tincanArgv } from "./cli_process.ts";
import { stopAll, withRendezvous } from "./harness.ts";

async function tmuxAvailable(): Promise<boolean> {
  try {
    return (await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

const HAS_TMUX = await tmuxAvailable();
/** A private tmux server, so the test never touches the user's sessions. */
const SOCKET = `tincan-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
const SCREEN_WAIT_MS = 60_000;
/** The status line at the bottom of a chat. */
const STATUS = /^ \w+@127\.0\.0\.1:\d+ │ (connected|rendezvous lost, reconnecting…) │ → /;

async function tmux(...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", { args: ["-L", SOCKET, ...args], stdin: "null" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return text;
}

/** Single-quotes `s` for sh. */
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** One user's chat in a tmux session. */
class Pane {
  constructor(readonly name: string) {}

  /** Starts `tincan chat` as `user`; after it exits the pane shows "[exited N]". */
  static async start(user: string, profileDir: string, rendezvous: string): Promise<Pane> {
    const pane = new Pane(`${user}-${crypto.randomUUID().slice(0, 8)}`);
    const env = Object.entries(childEnv({ TERM: "xterm" })).map(([k, v]) => `${k}=${quote(v)}`);
    const argv = tincanArgv([
      "chat",
      "--user",
      user,
      "--profile",
      profileDir,
      "--rendezvous",
      rendezvous,
    ]);
    const command = `env ${env.join(" ")} ${argv.map(quote).join(" ")}; ` +
      `echo "[exited $?]"; sleep 600`;
    await tmux("new-session", "-d", "-s", pane.name, "-x", "120", "-y", "30", command);
    return pane;
  }

  /** The screen and its scrollback, wrapped lines joined, trailing blanks trimmed. */
  async screen(): Promise<string[]> {
    const text = await tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", this.name);
    const lines = text.split("\n").map((l) => l.trimEnd());
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    return lines;
  }

  /** Types `text` literally, then Enter unless `enter` is false. */
  async type(text: string, enter = true): Promise<void> {
    await tmux("send-keys", "-t", this.name, "-l", text);
    if (enter) await tmux("send-keys", "-t", this.name, "Enter");
  }

  /** Presses tmux `keys` ("Enter", "Tab", "Up", "M-1", "C-c" …). */
  async keys(...keys: string[]): Promise<void> {
    await tmux("send-keys", "-t", this.name, ...keys);
  }

  /** Pastes `text` as a terminal does: bracketed (tmux paste-buffer -p). */
  async paste(text: string, dir: string): Promise<void> {
    const file = `${dir}/paste-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(file, text);
    await tmux("load-buffer", "-b", "paste", file);
    await tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", this.name);
  }

  /** Copies everything the chat writes from now on (escape sequences included) to `file`. */
  async record(file: string): Promise<void> {
    await tmux("pipe-pane", "-o", "-t", this.name, `cat >> ${quote(file)}`);
  }

  /** Waits until `check` holds for the screen; returns that screen. */
  async waitFor(what: string, check: (lines: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + SCREEN_WAIT_MS;
    while (true) {
      const lines = await this.screen();
      if (check(lines)) return lines;
      if (Date.now() > deadline) {
        assert.fail(
          `${this.name}: timed out waiting for ${what}; the screen:\n${lines.join("\n")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Waits until a line matches `pattern`; returns that line. */
  async waitForLine(pattern: RegExp): Promise<string> {
    const lines = await this.waitFor(String(pattern), (ls) => ls.some((l) => pattern.test(l)));
    return lines.findLast((l) => pattern.test(l))!;
  }

  /** The safety number printed by the last /verify. */
  async safetyNumber(user: string): Promise<string> {
    const header = `Safety number with ${user}:`;
    const lines = await this.waitFor(`the safety number with ${user}`, (ls) => {
      const at = ls.lastIndexOf(header);
      return at >= 0 && ls.length > at + 2 && /^ {2}(\d{5} ){5}\d{5}$/.test(ls[at + 2]!);
    });
    const at = lines.lastIndexOf(header);
    return `${lines[at + 1]!.trim()} ${lines[at + 2]!.trim()}`;
  }
}

/** A test with tmux, a rendezvous and a home directory, all stopped or removed after `body`. */
function tmuxTest(what: string, body: (address: string, home: string) => Promise<void>): void {
  Deno.test({
    name: HAS_TMUX
      ? `chat in a real terminal: ${what}`
      : `chat in a real terminal: ${what} (IGNORED: tmux is not installed; install it to run this test)`,
    ignore: !HAS_TMUX,
    async fn() {
      const { rendezvous, address } = await withRendezvous();
      const home = await Deno.makeTempDir({ prefix: "tincan-tmux-" });
      try {
        await body(address.toString(), home);
      } finally {
        await tmux("kill-server").catch(() => {});
        await stopAll(rendezvous);
        await Deno.remove(home, { recursive: true });
      }
    },
  });
}

tmuxTest(
  "/list, /msg, redraw of partial input, /verify, a room and its /history, /quit",
  async (address, home) => {
    const alice = await Pane.start("alice", `${home}/alice`, address);
    const bob = await Pane.start("bob", `${home}/bob`, address);
    await alice.waitForLine(/^Logged in as alice at /);
    await bob.waitForLine(/^Logged in as bob at /);

    // Both see each other.
    await alice.waitForLine(/^\* bob is online$/);
    await alice.type("/list");
    await alice.waitForLine(/^Online: bob$/);
    await bob.type("/list");
    await bob.waitForLine(/^Online: alice$/);

    // alice → bob.
    await alice.type("/msg bob hello bob");
    await bob.waitForLine(/^\[\d\d:\d\d\] alice: hello bob$/);
    await alice.waitForLine(/^ {2}✓ delivered to bob \(direct\)$/);

    // bob is typing when a message arrives: it appears above, his partial line is redrawn.
    await bob.type("/to alice");
    await bob.waitForLine(/^Now talking to alice/);
    // The prompt is the line above the status line, the last one.
    await bob.type("half typed", false);
    await bob.waitFor(
      "bob's partial input",
      (ls) => ls.at(-2) === "bob → alice> half typed" && STATUS.test(ls.at(-1)!),
    );
    await alice.type("/msg bob while you type");
    await bob.waitFor(
      "the message above bob's intact partial input",
      (ls) =>
        ls.at(-3)?.match(/^\[\d\d:\d\d\] alice: while you type$/) !== null &&
        ls.at(-2) === "bob → alice> half typed",
    );
    // The line editor kept it too: finishing the line sends all of it.
    await bob.type(" and finished");
    await alice.waitForLine(/^\[\d\d:\d\d\] bob: half typed and finished$/);

    // The same safety number on both screens.
    await alice.type("/verify bob");
    await bob.type("/verify alice");
    const seenByAlice = await alice.safetyNumber("bob");
    const seenByBob = await bob.safetyNumber("alice");
    assert.match(seenByAlice, /^(\d{5} ){11}\d{5}$/);
    assert.equal(seenByAlice, seenByBob);

    // A room: bob joins alice's, reads her message live and again in /history #den.
    await alice.type("/create #den");
    await alice.waitForLine(/^Created #den\./);
    await alice.type("/invite bob #den");
    await bob.waitForLine(/^\* alice invited you to #den: \/join #den to accept$/);
    await bob.type("/join #den");
    await alice.waitForLine(/^\* #den: bob joined$/);
    await alice.type("/msg #den hi den");
    await bob.waitForLine(/^\[\d\d:\d\d\] #den alice: hi den$/);
    await bob.type("/history #den");
    await bob.waitForLine(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] #den alice: hi den$/);

    // Unknown commands get a hint; /quit logs out and exits 0.
    await alice.type("/frobnicate");
    await alice.waitForLine(/^Unknown command \/frobnicate\. Type \/help/);
    await alice.type("/quit");
    await alice.waitForLine(/^\[exited 0\]$/);
    await bob.waitForLine(/^\* alice went offline$/);
    await bob.type("/quit");
    await bob.waitForLine(/^\[exited 0\]$/);
  },
);

tmuxTest(
  "a 100 KB paste, Tab, unread count, notification, Alt-1, ↑ history across a restart, Ctrl-C during a paste",
  async (address, home) => {
    const alice = await Pane.start("alice", `${home}/alice`, address);
    const record = `${home}/alice.out`;
    await alice.record(record);
    let bob = await Pane.start("bob", `${home}/bob`, address);
    await alice.waitForLine(/^\* bob is online$/);
    await bob.waitForLine(/^\* alice is online$/);

    // Tab completes a command, then a user name.
    await alice.type("/veri", false);
    await alice.keys("Tab");
    await alice.waitFor("/verify completed", (ls) => ls.at(-2) === "alice> /verify");
    await alice.type("b", false);
    await alice.keys("Tab");
    await alice.waitFor("bob completed", (ls) => ls.at(-2) === "alice> /verify bob");
    await alice.keys("Enter");
    await alice.safetyNumber("bob");

    // A message while alice looks at no conversation: an unread count and a notification.
    await bob.type("/to alice");
    await bob.type("ping from bob");
    await alice.waitForLine(/^\[\d\d:\d\d\] bob: ping from bob$/);
    await alice.waitFor("bob's unread count", (ls) => /\[1:bob 1\]/.test(ls.at(-1)!));
    const written = await Deno.readTextFile(record);
    assert.ok(written.includes("\x07"), "the bell rang");
    assert.ok(written.includes("]9;tincan: bob: ping from bob\x07"), "an OSC 9 notification");
    // Alt-1 switches to bob's conversation and marks it read.
    await alice.keys("M-1");
    await alice.waitFor(
      "bob's conversation",
      (ls) => ls.at(-2) === "alice → bob>" && / → 1:bob$/.test(ls.at(-1)!),
    );

    // 100 KB pasted: refused at once with the limit said; the chat stays connected.
    await alice.paste("x".repeat(100 * 1024), home);
    await alice.waitForLine(/^Paste refused: .* a message holds at most 65536 bytes/);
    // 2,000 characters on several lines fit: one message, delivered (bob is online).
    const lines = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(99, "y")).join("\n");
    await alice.paste(lines, home);
    await alice.keys("Enter");
    await bob.waitForLine(/^ {4}19y{97}$/);
    await alice.waitForLine(/^ {2}✓ delivered to bob/);
    await alice.waitFor("still connected", (ls) => / │ connected │ /.test(ls.at(-1)!));

    // ↑ recalls what bob typed, after a restart too.
    await bob.type("/quit");
    await bob.waitForLine(/^\[exited 0\]$/);
    bob = await Pane.start("bob", `${home}/bob`, address);
    await bob.waitForLine(/^Logged in as bob at /);
    await bob.keys("Up");
    await bob.waitFor("the last line typed", (ls) => ls.at(-2) === "bob> /quit");
    await bob.keys("Up");
    await bob.waitFor("the one before", (ls) => ls.at(-2) === "bob> ping from bob");
    await bob.keys("C-u");

    // Ctrl-C in the middle of a paste that never ends: the chat quits cleanly.
    await bob.type("\x1b[200~half a paste", false);
    await bob.keys("C-c");
    await bob.waitForLine(/^\[exited 0\]$/);
    await alice.type("/quit");
    await alice.waitForLine(/^\[exited 0\]$/);
  },
);
