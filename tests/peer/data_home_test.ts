import assert from "node:assert/strict";
import { dataHome, dataHomeHint } from "../../src/peer/data_home.ts";
import { defaultProfileDir } from "../../src/peer/profile.ts";
import { embeddedRendezvousDir } from "../../src/embedded/local_rendezvous.ts";
import { fakeEnv } from "../cli/env.ts";

Deno.test("data home: XDG_DATA_HOME, else ~/.local/share on Linux and macOS", () => {
  for (const os of ["linux", "darwin"]) {
    assert.equal(dataHome(fakeEnv({ XDG_DATA_HOME: "/d", HOME: "/h" }), os), "/d");
    assert.equal(dataHome(fakeEnv({ HOME: "/h", LOCALAPPDATA: "C:\\x" }), os), "/h/.local/share");
    assert.equal(dataHome(fakeEnv(), os), undefined);
  }
});

Deno.test("data home: on Windows %LOCALAPPDATA%, else %USERPROFILE%\\AppData\\Local", () => {
  const windows = (vars: Record<string, string>) => dataHome(fakeEnv(vars), "windows");
  assert.equal(windows({ XDG_DATA_HOME: "D:\\data", LOCALAPPDATA: "C:\\l" }), "D:\\data");
  assert.equal(
    windows({ LOCALAPPDATA: "C:\\Users\\a\\AppData\\Local" }),
    "C:\\Users\\a\\AppData\\Local",
  );
  assert.equal(windows({ USERPROFILE: "C:\\Users\\a" }), "C:\\Users\\a\\AppData\\Local");
  assert.equal(windows({ HOME: "C:\\Users\\a" }), "C:\\Users\\a\\.local\\share");
  assert.equal(windows({}), undefined);
  assert.match(dataHomeHint("windows"), /LOCALAPPDATA/);
});

Deno.test("data home: profiles and the embedded rendezvous live under it on Windows too", () => {
  const env = fakeEnv({ LOCALAPPDATA: "C:\\Users\\a\\AppData\\Local" });
  assert.match(
    defaultProfileDir("alice", env, "windows"),
    /^C:\\Users\\a\\AppData\\Local.tincan.alice$/,
  );
  assert.match(
    embeddedRendezvousDir(env, "windows"),
    /^C:\\Users\\a\\AppData\\Local.tincan.rendezvous$/,
  );
  assert.throws(() => defaultProfileDir("alice", fakeEnv(), "windows"), /set LOCALAPPDATA/);
});
