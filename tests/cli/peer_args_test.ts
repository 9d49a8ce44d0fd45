import assert from "node:assert/strict";
import {
  checkRecipientAtHome,
  checkText,
  MAX_TEXT_BYTES,
  parseCount,
  parsePeerArgs,
} from "../../src/cli/peer_args.ts";
import { UsageError } from "../../src/errors.ts";
import { fakeEnv } from "./env.ts";

const HOME = fakeEnv({ HOME: "/home/u" });

Deno.test("peer args: the user is folded, the profile defaults under XDG_DATA_HOME or HOME", () => {
  assert.deepEqual(parsePeerArgs("chat", { user: "Alice" }, HOME), {
    user: "alice",
    profileDir: "/home/u/.local/share/tincan/alice",
    rendezvous: undefined,
  });
  const xdg = fakeEnv({ HOME: "/home/u", XDG_DATA_HOME: "/data" });
  assert.equal(parsePeerArgs("chat", { user: "bob" }, xdg).profileDir, "/data/tincan/bob");
  assert.equal(
    parsePeerArgs("chat", { user: "bob", profile: "/p" }, fakeEnv()).profileDir,
    "/p",
  );
  assert.equal(
    parsePeerArgs("chat", { user: "bob", rendezvous: "/ip4/10.0.0.1/tcp/4001" }, HOME).rendezvous,
    "/ip4/10.0.0.1/tcp/4001",
  );
});

Deno.test("peer args: bad input is a UsageError naming the command and the problem", () => {
  assert.throws(() => parsePeerArgs("send", {}, HOME), /send: --user NAME is required/);
  assert.throws(() => parsePeerArgs("send", { user: "a b" }, HOME), UsageError);
  assert.throws(() => parsePeerArgs("send", { user: "x" }, HOME), /3 to 32/);
  assert.throws(
    () => parsePeerArgs("send", { user: "bob", rendezvous: "nope" }, HOME),
    /send: --rendezvous "nope" is not a valid multiaddr/,
  );
  assert.throws(() => parsePeerArgs("send", { user: "bob" }, fakeEnv()), /--profile/);
  assert.throws(() => parsePeerArgs("send", { user: "bob", profile: "" }, HOME), UsageError);
});

Deno.test("peer args: counts and texts", () => {
  assert.equal(parseCount("listen", "--count", "3", 1, 10), 3);
  for (const bad of ["0", "11", "-1", "1.5", "x", ""]) {
    assert.throws(() => parseCount("listen", "--count", bad, 1, 10), /from 1 to 10/, bad);
  }
  assert.equal(checkText("send", " hi "), " hi ");
  assert.throws(() => checkText("send", "  "), /empty/);
  assert.throws(() => checkText("send", "x".repeat(MAX_TEXT_BYTES + 1)), /limit/);
});

Deno.test("peer args: --rendezvous must be a host, TCP with a port, and at most a /p2p/", () => {
  const ok = [
    "/ip4/10.0.0.1/tcp/4001",
    "/ip6/::1/tcp/4001",
    "/dns4/chat.example.org/tcp/4001",
    "/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F9fhWoPMNv4XFL",
  ];
  for (const rendezvous of ok) {
    assert.equal(parsePeerArgs("chat", { user: "bob", rendezvous }, HOME).rendezvous, rendezvous);
  }
  const bad = [
    "/ip4/10.0.0.1/udp/4001",
    "/ip4/10.0.0.1",
    "/ip4/10.0.0.1/tcp/0",
    "/tcp/4001",
    "/ip4/10.0.0.1/tcp/4001/ws",
    "/p2p/12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F9fhWoPMNv4XFL",
  ];
  for (const rendezvous of bad) {
    assert.throws(
      () => parsePeerArgs("chat", { user: "bob", rendezvous }, HOME),
      (err: unknown) =>
        err instanceof UsageError &&
        err.message.startsWith(
          `chat: --rendezvous ${rendezvous} is not a rendezvous address: it needs a host, TCP and a port`,
        ),
      rendezvous,
    );
  }
});

Deno.test("peer args: --to yourself in qualified form is refused once the home's name is known", () => {
  const at = (to: string, home: string | undefined) =>
    checkRecipientAtHome("send", to, "alice", home, "a message");
  assert.throws(() => at("alice@home", "home"), /send: you cannot send a message to yourself/);
  assert.throws(() => at("ALICE@Home", "home"), UsageError);
  assert.equal(at("alice@work", "home"), "alice@work");
  assert.equal(at("bob@home", "home"), "bob");
  assert.equal(at("alice@home", undefined), "alice@home", "no federation: nothing to fold");
});
