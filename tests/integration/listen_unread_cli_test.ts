/**
 * `tincan listen --count N` prints every message it acknowledges: with 3 messages waiting, a
 * `listen --count 1` fetches (and acknowledges) all three in one mailbox batch and prints one;
 * the next `listen --count 2` prints the other two — real processes, real rendezvous.
 */
import assert from "node:assert/strict";
import { childEnv, runTincan, spawnTincan } from "./cli_process.ts";
import { stopAll, within, withRendezvous } from "./harness.ts";

Deno.test({
  name: "listen --count 1 then --count 2 prints all 3 waiting messages, each once",
  async fn() {
    const { rendezvous, address } = await withRendezvous();
    const home = await Deno.makeTempDir({ prefix: "tincan-cli-unread-" });
    const env = childEnv({ HOME: home, XDG_DATA_HOME: `${home}/data` });
    const rv = address.toString();
    const as = (user: string) => ["--user", user, "--profile", `${home}/${user}`];
    try {
      for (const user of ["alice", "bob"]) {
        const registered = await runTincan(["register", ...as(user), "--rendezvous", rv], env);
        assert.equal(registered.code, 0, registered.stderr);
      }
      const texts = ["one", "two", "three"];
      for (const text of texts) {
        const sent = await runTincan(["send", ...as("alice"), "--to", "bob", text], env);
        assert.equal(sent.code, 0, sent.stderr);
        assert.equal(sent.stdout, "queued\n");
      }
      const first = await runTincan(["listen", ...as("bob"), "--json", "--count", "1"], env);
      assert.equal(first.code, 0, first.stderr);
      const firstLines = first.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(firstLines.map((l) => l.text), ["one"]);

      // Nothing else arrives: the two must come from the profile (before the fix, this listen
      // printed nothing and waited for ever).
      const second = spawnTincan(["listen", ...as("bob"), "--json", "--count", "2"], env);
      const status = await within("the second listen to print 2", second.status, 30_000)
        .finally(() => second.kill());
      assert.equal(status.code, 0, second.stderr());
      const lines = second.stdout().trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.text), ["two", "three"]);
      for (const line of lines) {
        assert.equal(line.from, "alice");
        assert.equal(line.to, "bob");
        assert.equal(line.via, "mailbox"); // as they arrived, in the first listen
      }
      const ids = [...firstLines, ...lines].map((l) => l.id);
      assert.equal(new Set(ids).size, 3);
    } finally {
      await stopAll(rendezvous);
      await Deno.remove(home, { recursive: true });
    }
  },
});
