/**
 * The dashboard's HTML, embedded as a string so `deno compile` keeps it; no inline script or
 * style (the CSP allows neither). Assets: /dashboard.css, /dashboard.js.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tincan rendezvous</title>
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>tincan rendezvous <span id="node-name"></span></h1>
  <button id="logout" hidden>Log out</button>
</header>
<noscript><p class="notice">The dashboard needs JavaScript; /metrics and /api/stats work without it.</p></noscript>
<main>
<section id="login" hidden>
  <h2>Log in</h2>
  <p>Paste the admin token (printed at the first start; kept in <code>admin.token</code> in the data directory).</p>
  <form id="login-form">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Log in</button>
  </form>
  <p id="login-error" class="error" role="alert"></p>
</section>
<section id="dashboard" hidden>
  <div class="cards">
    <div class="card"><span class="label">Connected peers</span><span class="big" id="connected">–</span></div>
    <div class="card"><span class="label">Logged in</span><span class="big" id="logged-in">–</span></div>
    <div class="card"><span class="label">Accounts</span><span class="big" id="accounts">–</span></div>
    <div class="card"><span class="label">Mail held</span><span class="big" id="mail">–</span></div>
  </div>
  <section class="panel">
    <h2>Last hour</h2>
    <svg id="chart" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="connected and logged-in over the last hour"></svg>
    <p class="legend"><span class="key connected"></span> connected <span class="key logged-in"></span> logged in · <span id="chart-scale"></span></p>
  </section>
  <div class="grid">
    <section class="panel"><h2>Online users</h2>
      <table><thead><tr><th>User</th><th>Since</th><th>Connection</th></tr></thead><tbody id="online"></tbody></table>
    </section>
    <section class="panel"><h2>Recent logins</h2>
      <table><thead><tr><th>Time</th><th>User</th><th>From</th><th>Result</th></tr></thead><tbody id="recent"></tbody></table>
    </section>
    <section class="panel"><h2>Accounts</h2>
      <input id="user-filter" type="search" placeholder="filter by name" aria-label="filter accounts">
      <table><thead><tr><th>User</th><th>Status</th><th>Mail</th><th>Prekeys</th><th>Actions</th></tr></thead><tbody id="users"></tbody></table>
      <p id="action-result" role="status"></p>
      <pre id="keylog" hidden></pre>
    </section>
    <section class="panel"><h2>Throttled</h2>
      <table><thead><tr><th>Key</th><th>Failures</th><th>Until</th><th></th></tr></thead><tbody id="throttles"></tbody></table>
    </section>
    <section class="panel"><h2>Largest mailboxes</h2>
      <table><thead><tr><th>User</th><th>Envelopes</th><th>Bytes</th></tr></thead><tbody id="mailboxes"></tbody></table>
    </section>
    <section class="panel wide"><h2>Federated nodes</h2>
      <table><thead><tr><th>Node</th><th>PeerId</th><th>Link</th><th>Queued</th><th>Refused</th><th>Last error</th></tr></thead><tbody id="federation"></tbody></table>
    </section>
    <section class="panel"><h2>Errors in the log</h2><ul id="errors"></ul></section>
    <section class="panel"><h2>Node</h2><dl id="node"></dl></section>
    <section class="panel wide"><h2>Audit log</h2>
      <table><thead><tr><th>Time</th><th>Who</th><th>Action</th><th>Target</th><th>Outcome</th></tr></thead><tbody id="audit"></tbody></table>
    </section>
  </div>
</section>
</main>
</body>
</html>
`;
