/**
 * The dashboard scenario in a real browser (Debian's chromium, driven by playwright-core): log in
 * with the token, see a user come online within 2 s of the login, the federated nodes' table
 * (name, PeerId, link down with its error, queued, refused), disable that user (whose next
 * login is refused), delete an account, a wrong token refused, a request without the CSRF token
 * refused; a screenshot saved to the path given as the first argument. playwright-core needs
 * more permissions than the test task grants, so dashboard_browser_test.ts runs this script
 * in its own `deno run -A`; it exits 0 when every check passed.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { clientNode, FAST, loggedInClient, remoteError, stopAll, waitFor } from "./harness.ts";
import { assertLoginDisabled, withOperatorRendezvous } from "./operator_helpers.ts";
import { federationRequest } from "./federation_helpers.ts";
import { FederationStatus } from "../../src/proto/federation.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = Deno.args[0] ?? "dashboard.png";

{
  const { rendezvous, address, url, token, work } = await withOperatorRendezvous();
  const profile = await Deno.makeTempDir({ prefix: "tincan-chromium-" });
  const alice = await loggedInClient(address, "alice");
  const frank = await loggedInClient(address, "frank");
  const erin = await clientNode();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(`${url}/`);

    // A wrong token is refused, and says so.
    await page.fill("#token", "0".repeat(64));
    await page.click("#login-form button");
    await page.waitForSelector("#login-error:has-text('Wrong admin token')", { timeout: 5000 });
    assert.equal(await page.isHidden("#dashboard"), true);

    await page.fill("#token", token);
    await page.click("#login-form button");
    await page.waitForSelector("#dashboard", { state: "visible", timeout: 5000 });
    await page.waitForSelector("#online td:has-text('alice')", { timeout: 5000 });

    // A user logging in shows up within 2 s.
    await registerAccount(erin, address, "erin", "pw-erin", FAST);
    await login(erin, address, "erin", "pw-erin", FAST);
    const loggedInAt = Date.now();
    await page.waitForSelector("#online td:has-text('erin')", { timeout: 2000 });
    const shownAfter = Date.now() - loggedInAt;
    assert.ok(shownAfter <= 2000, `erin appeared after ${shownAfter} ms`);
    await page.waitForSelector("#recent td:has-text('erin')", { timeout: 2000 });
    await page.waitForSelector("#users button[data-user='erin'][data-action='disable']", {
      timeout: 5000,
    });
    await waitFor(
      "the chart to have points",
      async () => (await page.getAttribute("#chart polyline.connected", "points") ?? "") !== "",
    );

    // The federated node `work` (never running): its PeerId, its link down with the error, no
    // mail queued; a request in its name from another PeerId counts as refused (within a
    // snapshot, 5 s).
    const impostor = await clientNode();
    try {
      const refused = await federationRequest(impostor, address, { from: "work" });
      assert.equal(refused.status, FederationStatus.E_NOT_AUTHORIZED);
    } finally {
      await stopAll(impostor);
    }
    const workRow = "#federation tr:has(td:text-is('work'))";
    await page.waitForSelector(`${workRow} td:has-text('${work.peerId}')`, { timeout: 5000 });
    await page.waitForSelector(`${workRow} .failed:has-text('down')`, { timeout: 8000 });
    await page.waitForSelector(`${workRow} td:nth-child(5):text-is('1')`, { timeout: 8000 });
    const cells = await page.$$eval(`${workRow} td`, (tds) => tds.map((td) => td.textContent));
    assert.match(cells[5] ?? "", /cannot reach work|ECONNREFUSED|connect/i, "the last error");
    assert.equal(cells[3], "0", "nothing queued for work");

    // A request without the CSRF token is refused (the cookie alone is not enough).
    const status = await page.evaluate(() =>
      fetch("/api/users/alice/disable", { method: "POST", credentials: "same-origin" })
        .then((res) => res.status)
    );
    assert.equal(status, 403);

    // Disable erin: the session closes, the next login is refused with a clear error.
    await page.click("#users button[data-user='erin'][data-action='disable']");
    await page.waitForSelector("#users tr:has(td:text-is('erin')) .disabled", { timeout: 5000 });
    await waitFor(
      "erin's session to close",
      () => rendezvous.loggedIn.byUsername("erin") === undefined,
      2000,
    );
    await page.waitForSelector("#online td:has-text('erin')", { state: "detached", timeout: 2000 });
    await assertLoginDisabled(erin, address, "erin");
    assert.equal(
      rendezvous.loggedIn.byUsername("alice")?.username,
      "alice",
      "alice was not disabled",
    );

    // Delete frank: gone from the accounts, offline, its name held.
    await page.click("#users button[data-user='frank'][data-action='delete']");
    await page.waitForSelector("#users td:text-is('frank')", { state: "detached", timeout: 5000 });
    await waitFor(
      "frank's session to close",
      () => rendezvous.loggedIn.byUsername("frank") === undefined,
      2000,
    );
    assert.equal(rendezvous.admin.users().some((u) => u.username === "frank"), false);

    // The key log shows public keys only.
    await page.click("#users button[data-user='alice'][data-action='keylog']");
    await page.waitForSelector("#keylog:has-text('Key log of alice')", { timeout: 5000 });
    assert.match(await page.textContent("#keylog") ?? "", new RegExp(`#0 {2}${alice.peerId}`));
    // A failed login shows in the recent logins; then the picture for the README.
    const mallory = await clientNode();
    try {
      await remoteError(login(mallory, address, "alice", "wrong", FAST), "E_LOGIN_FAILED");
    } finally {
      await stopAll(mallory);
    }
    await page.waitForSelector("#recent .failed:has-text('wrong password')", { timeout: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a few chart points
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // Readable on a phone: one column, nothing wider than the screen but the tables' own scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = Number(await page.evaluate("document.documentElement.scrollWidth"));
    assert.ok(overflow <= 390, `the page is ${overflow} px wide on a 390 px phone`);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-phone.png") });
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
    await stopAll(alice, frank, erin, rendezvous);
  }
}
// The harness and playwright leave timers behind; every check has passed.
Deno.exit(0);
