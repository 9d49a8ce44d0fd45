/** The trust commands: parsing (pure), and each decision bound to the number shown. */
import assert from "node:assert/strict";
import { style } from "../../../src/cli/repl/format.ts";
import { REPL_HELP, replRegistry } from "../../../src/cli/repl/command_table.ts";
import { type ChatPeer, ReplRegistry, type ReplRuntime } from "../../../src/cli/repl/registry.ts";
import { TRUST_COMMANDS, whoisLines } from "../../../src/cli/repl/trust_commands.ts";

const registry = new ReplRegistry(TRUST_COMMANDS);
const me = { self: "alice" };
const parse = (line: string) => {
  const parsed = registry.parse(line, me);
  return parsed.kind === "command" ? parsed.command : parsed;
};
const isUsage = (c: unknown, pattern: RegExp) => {
  assert.equal((c as { kind: string }).kind, "usage");
  assert.match((c as { message: string }).message, pattern);
};
const FINGERPRINT = "11111 22222 33333 44444 55555 66666";

Deno.test("repl: /verify and /trust show first, then take yes or the digits shown", () => {
  assert.deepEqual(parse("/verify bob"), { kind: "verify", user: "bob" });
  assert.deepEqual(parse("/verify bob YES"), { kind: "verify", user: "bob", seen: "yes" });
  isUsage(parse("/verify bob maybe"), /type the 60 digits shown, or yes.*Usage: \/verify/);
  isUsage(parse("/verify"), /Usage: \/verify/);
  assert.deepEqual(parse("/trust bob"), { kind: "trust", user: "bob" });
  assert.deepEqual(parse(`/trust bob ${FINGERPRINT}`), {
    kind: "trust",
    user: "bob",
    seen: FINGERPRINT,
  });
  isUsage(parse("/trust bob 1234 5678"), /type the 30 or 60 digits shown/);
  isUsage(parse("/trust"), /Usage: \/trust <user>/);
  isUsage(parse("/trust alice"), /That is you/);
  assert.deepEqual(parse("/resend Bob"), { kind: "resend", user: "bob" });
  assert.deepEqual(parse("/discard bob"), { kind: "discard", user: "bob" });
  assert.deepEqual(parse("/whois bob"), { kind: "whois", user: "bob" });
  isUsage(parse("/whois"), /Usage: \/whois <user>/);
});

/** A runtime over a fake peer whose pending key for bob changes when `next` is set. */
function runtime() {
  const printed: string[] = [];
  const trusted: string[] = [];
  let fingerprint = FINGERPRINT;
  const peer: Pick<ChatPeer, "pendingKey" | "trust" | "heldMessages"> = {
    pendingKey: (user: string) =>
      user === "bob" ? { fingerprint, safetyNumber: `${fingerprint} ${fingerprint}` } : undefined,
    trust: (user: string, seen: string) => {
      if (seen !== fingerprint) throw new RangeError(`${seen} is not ${user}'s current key`);
      trusted.push(seen);
      return 0;
    },
    heldMessages: () => Promise.resolve([]),
  };
  const repl = {
    peer: peer as Partial<ChatPeer> as ChatPeer,
    style: style(false),
    print: (text: string) => void printed.push(text),
  } as Partial<ReplRuntime> as ReplRuntime;
  return {
    repl,
    printed,
    trusted,
    changeKey: (next: string) => fingerprint = next,
  };
}

Deno.test("repl: /trust bob yes trusts the key shown, not one that changed since", async () => {
  const t = runtime();
  const run = (line: string) => registry.run(registry.parse(line, me), t.repl);
  await run("/trust bob yes");
  assert.match(t.printed.at(-1)!, /Type \/trust bob first/);
  await run("/trust bob");
  assert.match(t.printed.at(-1)!, new RegExp(`fingerprint ${FINGERPRINT}`));
  // The key changes again between what was shown and the confirmation: nothing is trusted.
  t.changeKey("99999 99999 99999 99999 99999 99999");
  await assert.rejects(run("/trust bob yes"), /is not bob's current key/);
  assert.deepEqual(t.trusted, []);
  await run("/trust bob");
  await run("/trust bob yes");
  assert.deepEqual(t.trusted, ["99999 99999 99999 99999 99999 99999"]);
});

Deno.test("repl: /whois lists the certificate, the pin and the key log, and says what is wrong", () => {
  const lines = whoisLines({
    username: "bob",
    certified: { fingerprint: FINGERPRINT, standing: "changed", issuedAt: 0, expiresAt: 1 },
    pinned: { fingerprint: "00000 00000 00000 00000 00000 00000", verified: false, firstSeen: 0 },
    pendingFingerprint: FINGERPRINT,
    keyLog: [{ seq: 0, fingerprint: FINGERPRINT, at: 0 }],
    keyLogVerified: false,
    problem: { kind: "recreated", message: "bob's account was re-created at the rendezvous on …" },
  }, style(false));
  assert.match(lines[0]!, /^bob: the rendezvous certifies key 11111 .* \(changed\)/);
  assert.match(lines[1]!, /pinned key 00000 .*not verified/);
  assert.match(lines[2]!, /new key 11111 .*not trusted \(\/trust bob\)/);
  assert.match(lines[3]!, /key log \(1 entry, 0 key change\(s\)\): NOT VERIFIED/);
  assert.match(lines[4]!, /#0 .* 11111 22222/);
  assert.match(lines[5]!, /!!! bob's account was re-created/);
});

Deno.test("repl: the trust commands are in /help, and Tab completes their user", () => {
  const full = replRegistry({ rooms: false, files: false });
  for (const usage of ["/verify <user> [yes]", "/trust <user> [yes]", "/resend <user>"]) {
    assert.ok(full.help().some((line) => line.startsWith(`  ${usage} `)), usage);
  }
  for (const usage of ["/discard <user>", "/whois <user>"]) {
    assert.ok(REPL_HELP.some((line) => line.startsWith(`  ${usage} `)), usage);
  }
  const names = { users: ["bob", "carol"], rooms: ["#dev"], files: [] };
  for (const command of ["verify", "trust", "resend", "discard", "whois"]) {
    assert.deepEqual(full.complete(`/${command} b`, names).candidates, ["bob"], command);
  }
});
