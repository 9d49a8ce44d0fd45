/** The CLI's peer start-up against real rendezvous nodes on loopback. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startCliPeer } from "../../src/cli/start_peer.ts";
import { RemoteError, UsageError } from "../../src/errors.ts";
import { openProfile } from "../../src/peer/profile.ts";
import { ProfileInUseError } from "../../src/peer/profile_lock.ts";
import { savedRendezvous } from "../../src/peer/rendezvous_link.ts";
import { stopAll, withRendezvous } from "../integration/harness.ts";
import { capture, fakeEnv, stubStdin } from "./env.ts";

const env = fakeEnv({ TINCAN_PASSWORD: "pw-start" });
const args = (profileDir: string, rendezvous: string, user = "alice") => ({
  user,
  profileDir,
  rendezvous,
});
/** A terminal on which the user types `lines` (each ended by Enter). */
const typing = (...lines: string[]) => capture(stubStdin(lines.map((l) => `${l}\r`), true));

Deno.test("start: a failed login at another rendezvous does not become the profile's default", async () => {
  const home = await Deno.makeTempDir();
  const first = await withRendezvous();
  const other = await withRendezvous();
  try {
    const dir = join(home, "alice");
    const started = await startCliPeer(args(dir, first.address.toString()), {
      register: true,
      env,
      io: capture(),
    });
    assert.equal(started.registered, true);
    await started.stop();
    // No account there: the login fails …
    await assert.rejects(
      () =>
        startCliPeer(args(dir, other.address.toString()), { register: false, env, io: capture() }),
      RemoteError,
    );
    // … and the default is still the first rendezvous.
    const profile = await openProfile(dir);
    assert.equal(savedRendezvous(profile.db), first.address.toString());
    profile.close();
    const again = await startCliPeer(args(dir, first.address.toString()), {
      register: true,
      env,
      io: capture(),
    });
    assert.equal(again.registered, false, "the second start only logs in");
    await again.stop();
  } finally {
    await stopAll(first.rendezvous, other.rendezvous);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("start: a mistyped or refused registration leaves no profile behind", async () => {
  const home = await Deno.makeTempDir();
  const { rendezvous, address } = await withRendezvous();
  try {
    const dir = join(home, "frank");
    // The two entries differ: nothing is created.
    await assert.rejects(
      () =>
        startCliPeer(args(dir, address.toString(), "frank"), {
          register: true,
          env: fakeEnv(),
          io: typing("typo1", "typo2"),
        }),
      (err: unknown) => err instanceof UsageError && /differ/.test(err.message),
    );
    await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);

    // The name is taken by someone else: the new profile is removed again.
    const taken = await startCliPeer(args(join(home, "other"), address.toString(), "frank"), {
      register: true,
      env,
      io: capture(),
    });
    await taken.stop();
    await assert.rejects(
      () =>
        startCliPeer(args(dir, address.toString(), "frank"), {
          register: true,
          env: fakeEnv({ TINCAN_PASSWORD: "another password" }),
          io: capture(),
        }),
      RemoteError,
    );
    await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);

    // A profile that never registered (made by an older tincan) is asked twice as well.
    const old = await openProfile(dir);
    old.close();
    await assert.rejects(
      () =>
        startCliPeer(args(dir, address.toString(), "frank"), {
          register: true,
          env: fakeEnv(),
          io: typing("first", "second"),
        }),
      /differ/,
    );
  } finally {
    await stopAll(rendezvous);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("start: a second peer on a running profile is refused, naming the first one's process", async () => {
  const home = await Deno.makeTempDir();
  const { rendezvous, address } = await withRendezvous();
  try {
    const dir = join(home, "alice");
    const options = { register: true, env, io: capture(), command: "chat" } as const;
    const first = await startCliPeer(args(dir, address.toString()), options);
    await assert.rejects(
      () => startCliPeer(args(dir, address.toString()), options),
      (err: unknown) => {
        assert.ok(err instanceof ProfileInUseError);
        assert.match(
          err.message,
          new RegExp(`^alice's profile is in use by process ${Deno.pid} \\(tincan chat\\)`),
        );
        return true;
      },
    );
    await first.stop();
    // Released on stop: the next one runs.
    const next = await startCliPeer(args(dir, address.toString()), options);
    await next.stop();
  } finally {
    await stopAll(rendezvous);
    await Deno.remove(home, { recursive: true });
  }
});
