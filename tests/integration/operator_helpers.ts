/** Test helpers for the rendezvous' HTTP side: a rendezvous with --http, and an admin client. */
import { CSRF_HEADER, SESSION_COOKIE } from "../../src/rendezvous/http/auth.ts";
import { ADMIN_TOKEN_FILE } from "../../src/rendezvous/http/admin_token.ts";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import type { TincanNode } from "../../src/net/node.ts";
import { login } from "../../src/peer/clients/account.ts";
import { FAST, remoteError, withRendezvous } from "./harness.ts";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  type FederatedNode,
  parseFederatedNode,
} from "../../src/rendezvous/federation/federated_node.ts";
import { freePort } from "./rendezvous_process.ts";

/**
 * A rendezvous whose HTTP side listens on a free loopback port; its URL and admin token. It
 * federates with `work`, a node that never runs (a free port, a fresh PeerId): its link is down.
 */
export async function withOperatorRendezvous() {
  const work = await unreachableNode("work");
  const started = await withRendezvous({
    http: { hostname: "127.0.0.1", port: 0 },
    federate: [work],
  });
  const url = started.rendezvous.http!.url;
  const token = (await Deno.readTextFile(join(started.dataDir, ADMIN_TOKEN_FILE))).trim();
  return { ...started, url, token, work };
}

/** A federated node named `name` that nothing answers for. */
async function unreachableNode(name: string): Promise<FederatedNode> {
  const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  return parseFederatedNode(`${name}=/ip4/127.0.0.1/tcp/${freePort()}/p2p/${peerId}`);
}

/** An admin signed in through POST /api/login: its cookie and CSRF token. */
export async function adminLogin(url: string, token: string) {
  const res = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  const body = await res.json() as { csrf?: string; error?: string };
  if (!res.ok || body.csrf === undefined) throw new Error(`admin login failed: ${body.error}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
  const session = cookie.split(";")[0]!;
  /** Sends a request with the session cookie and, unless `csrf` is false, the CSRF token. */
  const call = (method: string, path: string, options: { csrf?: boolean; json?: unknown } = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        cookie: session,
        ...(options.csrf === false ? {} : { [CSRF_HEADER]: body.csrf! }),
        ...(options.json === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    });
  return { cookie, csrf: body.csrf, call };
}

/** Whether promtool is on PATH. */
export async function hasPromtool(): Promise<boolean> {
  try {
    const out = await new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** Runs `promtool check metrics` on `text`; returns its exit code and output. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** Asserts that `username`'s login (password `pw-<username>`) is refused as disabled. */
export async function assertLoginDisabled(
  node: TincanNode,
  address: Multiaddr,
  username: string,
): Promise<void> {
  const refused = await remoteError(
    login(node, address, username, `pw-${username}`, FAST),
    "E_NOT_AUTHORIZED",
  );
  assert.match(
    refused.message,
    new RegExp(
      `Cannot log in as ${username}: the operator of this rendezvous disabled the account`,
    ),
  );
}
