/**
 * Real terminals for tests: a private tmux server (never the user's sessions), one session per
 * running `tincan chat`, typed into and read back as screens.
 */
import assert from "node:assert/strict";
import { childEnv, tincanArgv } from "./cli_process.ts";

/** Whether tmux can be run here (tests that need it are ignored otherwise). */
export async function tmuxAvailable(): Promise<boolean> {
  try {
    return (await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

const SOCKET = `tincan-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
const SCREEN_WAIT_MS = 60_000;

/**
 * Runs `tmux <args>` on the private server; returns its stdout.
 * @throws Error with tmux's complaint when it fails.
 */
export async function tmux(...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", { args: ["-L", SOCKET, ...args], stdin: "null" })
    .output();
  if (!out.success) {
    throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Single-quotes `s` for sh. */
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** One `tincan` in a tmux session. */
export class Pane {
  constructor(readonly name: string) {}

  /** Starts `tincan <args>` (environment: childEnv + `env`); after it exits the pane shows "[exited N]". */
  static async start(
    label: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<Pane> {
    const pane = new Pane(`${label}-${crypto.randomUUID().slice(0, 8)}`);
    const vars = Object.entries(childEnv({ TERM: "xterm", ...env }))
      .map(([k, v]) => `${k}=${quote(v)}`);
    const command = `env ${vars.join(" ")} ${tincanArgv(args).map(quote).join(" ")}; ` +
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

  /** Pastes `text` as a terminal does: bracketed (tmux paste-buffer -p); `dir` holds its file. */
  async paste(text: string, dir: string): Promise<void> {
    const file = `${dir}/paste-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(file, text);
    await tmux("load-buffer", "-b", "paste", file);
    await tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", this.name);
  }

  /** Copies everything the program writes from now on (escape sequences included) to `file`. */
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

  /** The safety number printed by the last /verify of a chat. */
  async safetyNumber(user: string): Promise<string> {
    const header = `Safety number with ${user}:`;
    const lines = await this.waitFor(`the safety number with ${user}`, (ls) => {
      const at = ls.lastIndexOf(header);
      return at >= 0 && ls.length > at + 2 && /^ {2}(\d{5} ){5}\d{5}$/.test(ls[at + 2]!);
    });
    const at = lines.lastIndexOf(header);
    return `${lines[at + 1]!.trim()} ${lines[at + 2]!.trim()}`;
  }

  /** Ends the session (the program in it is killed). */
  async kill(): Promise<void> {
    await tmux("kill-session", "-t", this.name).catch(() => {});
  }
}

/** Stops the private tmux server and every session in it. */
export async function killTmux(): Promise<void> {
  await tmux("kill-server").catch(() => {});
}
