/**
 * `tincan register`, `whoami`, `send` and `listen --json --count N` as real processes against a
 * test rendezvous, as a script would use them.
 */
import assert from "node:assert/strict";
import { childEnv, runTincan, spawnTincan } from "./cli_process.ts";
import { stopAll, waitFor, within, withRendezvous } from "./harness.ts";

Deno.test({
  name: "tincan register, whoami, send and listen --json --count work as processes",
  async fn() {
    const { rendezvous, address } = await withRendezvous();
    const home = await Deno.makeTempDir({ prefix: "tincan-cli-send-" });
    const env = childEnv({ HOME: home, XDG_DATA_HOME: `${home}/data` });
    const rv = address.toString();
    const as = (user: string) => ["--user", user, "--profile", `${home}/${user}`];
    let listener: ReturnType<typeof spawnTincan> | undefined;
    try {
      for (const user of ["alice", "bob"]) {
        const registered = await runTincan(["register", ...as(user), "--rendezvous", rv], env);
        assert.equal(registered.code, 0, registered.stderr);
        assert.match(registered.stdout, new RegExp(`^registered ${user} at ${rv}$`, "m"));
        assert.match(registered.stdout, /^peer id 12D3Koo\w+$/m);
      }
      const whoami = await runTincan(["whoami", ...as("alice")], env);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.match(whoami.stdout, /^fingerprint {2}(\d{5} ){5}\d{5}$/m);

      // The profile remembers the rendezvous: listen and send need no --rendezvous.
      listener = spawnTincan(["listen", ...as("bob"), "--json", "--count", "2"], env);
      await waitFor("bob to listen", () => listener!.stderr().includes("listening as bob"), 30_000);

      const first = await runTincan(["send", ...as("alice"), "--to", "bob", "hello", "bob"], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, "delivered (direct)\n");
      const second = await runTincan(["send", ...as("alice"), "--to", "bob", 'quote " é'], env);
      assert.equal(second.code, 0, second.stderr);

      const status = await within("listen to exit after 2 messages", listener.status, 15_000);
      assert.equal(status.code, 0, listener.stderr());
      const lines = listener.stdout().trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines.length, 2);
      assert.deepEqual(lines.map((l) => l.text), ["hello bob", 'quote " é']);
      for (const line of lines) {
        assert.equal(line.type, "message");
        assert.equal(line.from, "alice");
        assert.equal(line.to, "bob");
        assert.equal(line.via, "direct");
        assert.match(line.id, /^[0-9a-f]{32}$/);
        assert.equal(typeof line.sentAt, "number");
        assert.ok(Math.abs(line.sentAt - Date.now()) < 120_000);
      }

      // Oneself in qualified form (this rendezvous is named "test") is oneself: refused the same
      // way as --to alice, once the login said the home's name, and nothing is sent.
      const self = await runTincan(["send", ...as("alice"), "--to", "alice", "hi"], env);
      const qualified = await runTincan(["send", ...as("alice"), "--to", "Alice@Test", "hi"], env);
      assert.equal(self.code, 2, self.stderr);
      assert.equal(qualified.code, self.code, qualified.stderr);
      assert.equal(qualified.stdout, "");
      assert.equal(qualified.stderr, self.stderr);
      assert.match(qualified.stderr, /^tincan: send: you cannot send a message to yourself/);

      const unknown = await runTincan(["send", ...as("alice"), "--to", "zed", "hi"], env);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stdout, "");
      assert.match(unknown.stderr, /^tincan: not delivered to zed: there is no user zed/);

      // bob has logged out: the message goes to his mailbox at the rendezvous ("queued"), and
      // his next listen prints it, marked "via":"mailbox".
      const offline = await runTincan(
        ["send", ...as("alice"), "--to", "bob", "are you there?"],
        env,
      );
      assert.equal(offline.code, 0, offline.stderr);
      assert.equal(offline.stdout, "queued\n");
      const mailed = await runTincan(["listen", ...as("bob"), "--json", "--count", "1"], env);
      assert.equal(mailed.code, 0, mailed.stderr);
      const got = JSON.parse(mailed.stdout.trim());
      assert.equal(got.text, "are you there?");
      assert.equal(got.from, "alice");
      assert.equal(got.via, "mailbox");

      // Ctrl-C (SIGINT) ends listen cleanly.
      const interrupted = spawnTincan(["listen", ...as("alice")], env);
      await waitFor("alice to listen", () => interrupted.stderr().includes("listening as"), 30_000);
      assert.equal((await interrupted.kill("SIGINT")).code, 0, interrupted.stderr());

      const noProfile = await runTincan(["send", ...as("carol"), "--to", "bob", "hi"], env);
      assert.equal(noProfile.code, 1);
      assert.match(noProfile.stderr, /there is no tincan profile for carol/);
    } finally {
      await listener?.kill();
      await stopAll(rendezvous);
      await Deno.remove(home, { recursive: true });
    }
  },
});
