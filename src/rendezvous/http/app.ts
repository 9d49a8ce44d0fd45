/**
 * The operator's HTTP routes (hono): /healthz and /metrics for machines; the dashboard page and
 * its assets; the JSON API and the live event stream behind the admin session. Every response
 * carries a strict Content-Security-Policy; every state-changing request needs the session's
 * CSRF token.
 */
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { concat } from "../../crypto/primitives.ts";
import type { Logger } from "../../log.ts";
import type { AccountAction } from "../admin/actions.ts";
import { type AdminAuth, type AdminSession, CSRF_HEADER, SESSION_COOKIE } from "./auth.ts";
import { collectMetrics } from "./collect.ts";
import { DASHBOARD_CSS } from "./dashboard/style.ts";
import { DASHBOARD_HTML } from "./dashboard/page.ts";
import { DASHBOARD_JS } from "./dashboard/script.ts";
import type { EventHub } from "./events.ts";
import { EXPOSITION_CONTENT_TYPE, formatExposition } from "./exposition.ts";
import type { OperatorPort } from "./port.ts";

/** The dashboard's Content-Security-Policy: nothing but this origin's own script and style. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the routes work with. */
export interface HttpAppDeps {
  readonly port: OperatorPort;
  readonly auth: AdminAuth;
  readonly hub: EventHub;
  /** The dashboard's snapshot (GET /api/stats and the first event of a stream). */
  readonly snapshot: () => unknown;
  /** The latest event-loop lag, in ms. */
  readonly loopLagMs: () => number;
  /** Whether the listener itself is TLS (cookies are then Secure). */
  readonly tls: boolean;
  readonly log: Logger;
}

/** Per-request values: the client's address (from Deno.serve). */
export interface HttpBindings {
  readonly remote: string;
}

type Env = { Bindings: HttpBindings; Variables: { session: AdminSession } };

const ACTIONS: readonly AccountAction[] = ["disable", "enable", "delete"];
const MAX_BODY_BYTES = 4096;

/** Builds the routes. */
export function httpApp(deps: HttpAppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const actor = (remote: string) => `dashboard ${remote}`;

  app.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
  });
  app.onError((err, c) => {
    if (err instanceof RangeError) return c.json({ error: err.message }, 400);
    deps.log.error(`HTTP ${c.req.method} ${c.req.path} failed: ${err.message}`);
    return c.json({ error: "internal error" }, 500);
  });

  app.get("/healthz", (c) => deps.port.healthy() ? c.text("ok\n") : c.text("unavailable\n", 503));
  app.get(
    "/metrics",
    (c) =>
      c.body(formatExposition(collectMetrics(deps.port, deps.loopLagMs())), 200, {
        "Content-Type": EXPOSITION_CONTENT_TYPE,
      }),
  );
  app.get("/", (c) => c.html(DASHBOARD_HTML));
  app.get(
    "/dashboard.css",
    (c) => c.body(DASHBOARD_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }),
  );
  app.get(
    "/dashboard.js",
    (c) => c.body(DASHBOARD_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );

  // Exchanging the token. No session exists yet, so no CSRF token either: the request must be
  // JSON (a cross-site form cannot send that without a preflight) from this origin.
  app.post("/api/login", async (c) => {
    if (!sameOrigin(c.req.raw) || !isJson(c.req.raw)) {
      return c.json({ error: "a JSON request from the dashboard's own origin is required" }, 403);
    }
    const body = await boundedJson(c.req.raw);
    const token = typeof body?.token === "string" ? body.token : "";
    const outcome = deps.auth.login(token, c.env.remote, deps.port.now());
    deps.port.admin.record({
      actor: actor(c.env.remote),
      action: "login",
      target: "dashboard",
      outcome: outcome.ok ? "ok" : outcome.message,
    });
    if (!outcome.ok) {
      deps.log.warn(`dashboard login refused from ${c.env.remote}: ${outcome.message}`);
      return c.json({ error: outcome.message }, outcome.throttled ? 429 : 401);
    }
    setCookie(c, SESSION_COOKIE, outcome.session.id, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: deps.tls || c.req.header("x-forwarded-proto") === "https",
      maxAge: Math.floor((outcome.session.expiresAt - deps.port.now()) / 1000),
    });
    deps.log.info(`dashboard login from ${c.env.remote}`);
    return c.json({ csrf: outcome.session.csrf });
  });

  // Everything under /api/ past this point needs a session; a POST needs its CSRF token too.
  app.use("/api/*", async (c, next) => {
    const session = deps.auth.session(getCookie(c, SESSION_COOKIE), deps.port.now());
    if (session === undefined) return c.json({ error: "log in with the admin token" }, 401);
    if (c.req.method !== "GET" && !deps.auth.csrfOk(session, c.req.header(CSRF_HEADER))) {
      deps.log.warn(`refused ${c.req.method} ${c.req.path} without its CSRF token`);
      return c.json({ error: "missing or wrong CSRF token" }, 403);
    }
    c.set("session", session);
    await next();
  });

  app.get("/api/session", (c) => c.json({ csrf: c.get("session").csrf }));
  app.post("/api/logout", (c) => {
    deps.auth.logout(c.get("session"));
    setCookie(c, SESSION_COOKIE, "", { httpOnly: true, sameSite: "Strict", path: "/", maxAge: 0 });
    return c.json({ ok: true });
  });
  app.get("/api/stats", (c) => c.json(deps.snapshot()));
  app.get(
    "/api/events",
    () =>
      new Response(deps.hub.open({ event: "snapshot", data: deps.snapshot() }), {
        headers: {
          "Content-Type": "text/event-stream",
          "Cache-Control": "no-store",
          "Content-Security-Policy": CSP,
        },
      }),
  );
  app.get("/api/users", (c) => c.json({ users: deps.port.admin.users() }));
  app.get("/api/audit", (c) => c.json({ audit: deps.port.admin.audit(100) }));
  app.get(
    "/api/users/:name/keylog",
    (c) => c.json({ keyLog: deps.port.admin.keyLog(c.req.param("name"), actor(c.env.remote)) }),
  );
  app.post("/api/users/:name/:action", (c) => {
    const action = ACTIONS.find((a) => a === c.req.param("action"));
    if (action === undefined) return c.json({ error: "no such action" }, 404);
    deps.port.admin.apply(action, c.req.param("name"), actor(c.env.remote));
    deps.log.info(`dashboard: ${action} ${c.req.param("name")}`, { by: c.env.remote });
    deps.hub.publish("audit", deps.port.admin.audit(1)[0]);
    return c.json({ ok: true });
  });
  app.post("/api/throttles/clear", async (c) => {
    const body = await boundedJson(c.req.raw);
    const key = typeof body?.key === "string" ? body.key : "";
    const cleared = deps.port.clearThrottle(key);
    deps.port.admin.record({
      actor: actor(c.env.remote),
      action: "clear-throttle",
      target: key.slice(0, 100),
      outcome: cleared ? "ok" : "not throttled",
    });
    return c.json({ ok: cleared });
  });
  return app;
}

function isJson(request: Request): boolean {
  return (request.headers.get("content-type") ?? "").startsWith("application/json");
}

/** Whether the request's Origin (when sent) is the origin it was sent to. */
function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const host = request.headers.get("host");
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The request's JSON object body, read up to MAX_BODY_BYTES; undefined when it is not one. */
async function boundedJson(request: Request): Promise<Record<string, unknown> | undefined> {
  const reader = request.body?.getReader();
  if (reader === undefined) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new RangeError(`the request body is over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(concat(...chunks)));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? parsed as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}
