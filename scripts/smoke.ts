// deno-lint-ignore-file no-console
/**
 * The smoke scenario of a shipped tincan, one script for every form of it: the bundle test runs
 * it on `deno run … dist/tincan.js`, the release workflow on each compiled binary.
 *
 *   deno task smoke <command that runs tincan…>
 *
 * `--version` and `--help`, a rendezvous on a free loopback port started from a TOML --config
 * file with its operator dashboard on (the page, its script and /healthz are fetched), `register`
 * of alice and bob, `listen --json --count 1 --accept-files` as bob, a file and a message from
 * alice. Every process
 * runs in an empty working directory, so nothing can be read relative to the sources. A failure
 * names the step, the missing permission or the import outside the bundle, and the output.
 */
import { join, resolve } from "node:path";
import { VERSION } from "../src/version.ts";
import { diagnose } from "./diagnose.ts";

/** How a smoke run is set up. */
export interface SmokeOptions {
  /** Environment added to every tincan process (e.g. an empty DENO_DIR). */
  readonly env?: Readonly<Record<string, string>>;
  /** Hears each step as it starts. */
  readonly progress?: (step: string) => void;
  /** Bound on each step, in milliseconds (default 60 s). */
  readonly stepTimeoutMs?: number;
}

/** The bytes of the file alice sends: 300 KiB, so it spans chunks and is not all one value. */
const FILE_BYTES = 300 * 1024;
const TEXT = "hello from one file";
const PASSWORD = "smoke test password";

/**
 * Runs the scenario against the tincan that `tincan` (an argv prefix) starts.
 * @throws Error naming the failed step, what the process lacked (diagnose) and its output.
 */
export async function runSmoke(
  tincan: readonly string[],
  options: SmokeOptions = {},
): Promise<void> {
  const progress = options.progress ?? (() => {});
  const timeoutMs = options.stepTimeoutMs ?? 60_000;
  const work = await Deno.makeTempDir({ prefix: "tincan-smoke-" });
  const cwd = join(work, "cwd");
  await Deno.mkdir(cwd);
  const env = {
    TINCAN_PASSWORD: PASSWORD,
    TINCAN_RENDEZVOUS: "",
    NO_COLOR: "1",
    HOME: join(work, "home"),
    XDG_DATA_HOME: join(work, "data"),
    ...options.env,
  };
  const start = (step: string, args: readonly string[]) =>
    new Child(step, [...tincan, ...args], { cwd, env });
  const run = async (step: string, args: readonly string[]) => {
    progress(step);
    return await start(step, args).finished(timeoutMs);
  };
  const as = (user: string) => ["--user", user, "--profile", join(work, user)];
  const children: Child[] = [];
  try {
    const version = await run("tincan --version", ["--version"]);
    version.expect(
      new RegExp(`(^|\\s)${VERSION.replaceAll(".", "\\.")}(\\s|$)`).test(version.stdout),
      `prints the version ${VERSION} of src/version.ts`,
    );
    const help = await run("tincan --help", ["--help"]);
    help.expect(/Usage: tincan/.test(help.stdout), "prints the usage");

    progress("tincan rendezvous");
    const config = join(work, "rv.toml");
    await Deno.writeTextFile(config, `# the smoke rendezvous\nhttp = "127.0.0.1:0"\n`);
    const rendezvous = start("tincan rendezvous", [
      "rendezvous",
      "--config",
      config,
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--data",
      join(work, "rendezvous"),
    ]);
    children.push(rendezvous);
    await rendezvous.until(
      /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo\w+$/m,
      "stdout",
      timeoutMs,
    );
    const address = rendezvous.stdout.split("\n")[0]!;
    progress("the rendezvous dashboard");
    await checkDashboard(rendezvous, timeoutMs);

    for (const user of ["alice", "bob"]) {
      const registered = await run(`tincan register ${user}`, [
        "register",
        ...as(user),
        "--rendezvous",
        address,
      ]);
      registered.expect(registered.stdout.includes(`registered ${user}`), "says registered");
    }

    progress("tincan listen (bob)");
    const inbox = join(work, "inbox");
    const listener = start("tincan listen (bob)", [
      "listen",
      ...as("bob"),
      "--json",
      "--count",
      "1",
      "--accept-files",
      inbox,
    ]);
    children.push(listener);
    await listener.until(/listening as bob/, "stderr", timeoutMs);

    const file = join(work, "photo.bin");
    const content = pattern(FILE_BYTES);
    await Deno.writeFile(file, content);
    const sent = await run("tincan send-file", ["send-file", ...as("alice"), "--to", "bob", file]);
    sent.expect(sent.stdout.trim() === "complete", 'prints "complete"');
    const message = await run("tincan send", ["send", ...as("alice"), "--to", "bob", TEXT]);
    message.expect(message.stdout.trim() === "delivered (direct)", 'prints "delivered (direct)"');

    const heard = await listener.finished(timeoutMs);
    const lines = heard.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const got = lines.find((line) => line.type === "file");
    heard.expect(got?.name === "photo.bin" && got.size === FILE_BYTES, "reports the file");
    heard.expect(
      lines.some((line) => line.type === "message" && line.text === TEXT && line.from === "alice"),
      "prints alice's message",
    );
    const received = await Deno.readFile(got.path);
    heard.expect(
      received.length === content.length && received.every((byte, i) => byte === content[i]),
      "saves the same bytes alice sent",
    );

    progress("stop the rendezvous");
    const stopped = await rendezvous.stop(timeoutMs);
    // Windows has no SIGTERM to handle: the process is terminated, not asked to stop.
    if (Deno.build.os !== "windows") stopped.expect(true);
  } finally {
    for (const child of children) await child.stop(timeoutMs).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/**
 * Fetches the dashboard page, its script and /healthz from the rendezvous `child` started with
 * its HTTP side on (it prints "dashboard at URL/" on stderr).
 * @throws Error naming what the dashboard did not serve.
 */
async function checkDashboard(child: Child, timeoutMs: number): Promise<void> {
  const printed = /dashboard at (http:\/\/\S+?)\/?$/m;
  await child.until(printed, "stderr", timeoutMs);
  const url = printed.exec(child.stderr)![1]!;
  const expected: [string, RegExp][] = [
    ["/", /<script src="\/?dashboard\.js"/],
    ["/dashboard.js", /\S/],
    ["/healthz", /^ok/],
  ];
  for (const [path, body] of expected) {
    const response = await fetch(url + path, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (!response.ok || !body.test(text)) {
      throw child.failure(`serves no ${path} (HTTP ${response.status}, ${text.length} bytes)`);
    }
  }
}

/** Bytes that differ along the file (a run of one value would hide a misplaced chunk). */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >> 10)) & 0xff;
  return bytes;
}

/** What a finished process left; `expect` throws the step's report when a check fails. */
class Finished {
  constructor(
    private readonly child: Child,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {}

  /**
   * Checks the exit code is 0 and `ok` holds.
   * @throws Error naming the step, the check and the cause found in the output.
   */
  expect(ok: boolean, what = "exits 0"): void {
    if (this.code === 0 && ok) return;
    throw this.child.failure(this.code === 0 ? `does not ${what}` : `exited ${this.code}`);
  }
}

/** One tincan process; its output is collected as it comes. */
class Child {
  stdout = "";
  stderr = "";
  readonly #process: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;

  constructor(
    readonly step: string,
    readonly argv: readonly string[],
    options: { cwd: string; env: Record<string, string> },
  ) {
    this.#process = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const drain = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
    };
    const drained = Promise.all([
      drain(this.#process.stdout, (text) => this.stdout += text),
      drain(this.#process.stderr, (text) => this.stderr += text),
    ]);
    this.#status = drained.then(() => this.#process.status);
  }

  /**
   * Waits until the process exits.
   * @throws Error when it runs longer than `timeoutMs` (it is then killed).
   */
  async finished(timeoutMs: number): Promise<Finished> {
    const status = await this.#within(this.#status, timeoutMs);
    if (status === undefined) {
      await this.stop(timeoutMs);
      throw this.failure(`did not exit within ${timeoutMs / 1000} s`);
    }
    return new Finished(this, status.code, this.stdout, this.stderr);
  }

  /**
   * Waits until `stream` matches `expected`.
   * @throws Error when the process exits first or `timeoutMs` passes.
   */
  async until(expected: RegExp, stream: "stdout" | "stderr", timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: Deno.CommandStatus | undefined;
    this.#status.then((status) => exited = status);
    while (!expected.test(this[stream])) {
      if (exited !== undefined) throw this.failure(`exited ${exited.code} before ${expected}`);
      if (Date.now() > deadline) {
        throw this.failure(`printed no ${expected} within ${timeoutMs / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends SIGTERM and waits for the exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs: number): Promise<Finished> {
    try {
      this.#process.kill("SIGTERM");
    } catch {
      // already exited
    }
    let status = await this.#within(this.#status, timeoutMs);
    if (status === undefined) {
      this.#process.kill("SIGKILL");
      status = await this.#status;
    }
    return new Finished(this, status.code, this.stdout, this.stderr);
  }

  /** The error of this step: what happened, why (when the output says), and the output. */
  failure(what: string): Error {
    const causes = diagnose(this.stderr);
    return new Error(
      [
        `smoke step "${this.step}" failed: it ${what}`,
        ...causes.map((cause) => `  cause: ${cause}`),
        `  command: ${this.argv.join(" ")}`,
        `  stdout: ${this.stdout.trim() || "(empty)"}`,
        `  stderr: ${this.stderr.trim() || "(empty)"}`,
      ].join("\n"),
    );
  }

  async #within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error(
      "Usage: deno task smoke <command that runs tincan…>  (e.g. dist/tincan-<target>)",
    );
    Deno.exit(2);
  }
  // The processes run in an empty directory: a relative path to tincan must be made absolute.
  const [command, ...args] = Deno.args;
  const tincan = [/[\\/]/.test(command!) ? resolve(command!) : command!, ...args];
  try {
    await runSmoke(tincan, { progress: (step) => console.error(`… ${step}`) });
    console.log(`smoke passed: ${tincan.join(" ")}`);
  } catch (err: unknown) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
}
