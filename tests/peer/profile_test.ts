import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultProfileDir, openProfile } from "../../src/peer/profile.ts";
import { setSetting } from "../../src/store/settings.ts";

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test("a new profile is owner-only: directory, keys, database and its WAL files", async () => {
  const parent = await Deno.makeTempDir();
  const dir = join(parent, "alice");
  try {
    const profile = await openProfile(dir);
    setSetting(profile.db, "probe", "x"); // a write, so the WAL file exists
    assert.equal(await mode(dir), 0o700);
    for (const file of ["identity.key", "storage.key", "peer.db", "peer.db-wal", "peer.db-shm"]) {
      assert.equal(await mode(join(dir, file)), 0o600, file);
    }
    profile.close();
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("reopening a profile keeps its identity and storage key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await openProfile(dir);
    const { peerId, storageKey } = first;
    first.close();
    const second = await openProfile(dir);
    assert.equal(second.peerId.toString(), peerId.toString());
    assert.deepEqual(second.storageKey, storageKey);
    second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged storage key is refused with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    (await openProfile(dir)).close();
    await Deno.writeFile(join(dir, "storage.key"), new Uint8Array(5));
    await assert.rejects(() => openProfile(dir), /storage\.key: it is damaged/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the default profile lives under XDG_DATA_HOME, else ~/.local/share", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(defaultProfileDir("bob", env({ XDG_DATA_HOME: "/x" })), "/x/tincan/bob");
  assert.equal(
    defaultProfileDir("bob", env({ HOME: "/home/b" })),
    "/home/b/.local/share/tincan/bob",
  );
  assert.throws(() => defaultProfileDir("bob", env({})), /set XDG_DATA_HOME or HOME/);
});
