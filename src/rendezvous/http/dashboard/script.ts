/**
 * The dashboard's script, embedded as a string (served as /dashboard.js): plain DOM code, no
 * framework. It logs in with the token, opens the event stream and renders what it hears; it
 * builds every node with textContent, so no name from the network is ever parsed as HTML.
 */
export const DASHBOARD_JS = String.raw`"use strict";
(function () {
  var csrf = "";
  var state = { online: new Map(), recent: [], history: [], info: null };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function time(ms) { return new Date(ms).toLocaleTimeString(); }
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function bytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }
  function fill(id, rows) {
    var body = $(id);
    body.replaceChildren.apply(body, rows);
  }
  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (c) {
      var td = el("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = String(c);
      tr.appendChild(td);
    });
    return tr;
  }

  function api(method, path, body) {
    var init = { method: method, headers: { "x-csrf-token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
        return data;
      });
    });
  }

  function showLogin(message) {
    $("login").hidden = false;
    $("dashboard").hidden = true;
    $("logout").hidden = true;
    $("login-error").textContent = message || "";
  }

  function start(token) {
    csrf = token;
    $("login").hidden = true;
    $("dashboard").hidden = false;
    $("logout").hidden = false;
    loadUsers();
    var source = new EventSource("/api/events");
    source.addEventListener("snapshot", function (e) { renderSnapshot(JSON.parse(e.data)); });
    source.addEventListener("tick", function (e) { renderTick(JSON.parse(e.data)); });
    source.addEventListener("presence", function (e) {
      var p = JSON.parse(e.data);
      if (p.online) state.online.set(p.username, p); else state.online.delete(p.username);
      renderOnline();
    });
    source.addEventListener("activity", function (e) {
      var activity = JSON.parse(e.data);
      if (activity.counter === "registrations") loadUsers();
      state.recent.unshift(activity);
      state.recent = state.recent.slice(0, 50);
      renderRecent();
    });
    source.addEventListener("log", function (e) { addError(JSON.parse(e.data)); });
    source.addEventListener("audit", function () { loadUsers(); });
    source.onerror = function () {
      fetch("/api/session", { credentials: "same-origin" }).then(function (res) {
        if (res.status === 401) { source.close(); showLogin("Your session ended; log in again."); }
      });
    };
  }

  function renderSnapshot(s) {
    state.info = s.node;
    $("node-name").textContent = s.node.name;
    var dl = $("node");
    var facts = [["PeerId", s.node.peerId], ["Version", s.node.version],
      ["Uptime", ago(s.node.startedAt)], ["RSS", bytes(s.process.rss)],
      ["Heap", bytes(s.process.heapUsed)], ["Loop lag", s.process.loopLagMs.toFixed(1) + " ms"],
      ["Presence streams", s.counts.presenceSubscribers]];
    s.node.listen.forEach(function (a) { facts.push(["Listen", a]); });
    s.node.announce.forEach(function (a) { facts.push(["Announce", a]); });
    if (s.relay) {
      facts.push(["Relay reservations", s.relay.reservations + " held · " +
        s.relay.refusedReservations + " refused"]);
      facts.push(["Relayed", s.relay.relayedConnections + " connections · " +
        bytes(s.relay.relayedBytes)]);
    } else {
      facts.push(["Relay", "off"]);
    }
    var items = [];
    facts.forEach(function (f) { items.push(el("dt", f[0]), el("dd", f[1])); });
    dl.replaceChildren.apply(dl, items);
    state.online = new Map(s.online.map(function (u) { return [u.username, u]; }));
    state.recent = s.recentLogins.slice().reverse();
    state.history = s.history;
    $("mail").textContent = s.mailbox.count + " · " + bytes(s.mailbox.bytes);
    fill("mailboxes", s.mailbox.largest.map(function (m) { return row([m.recipient, m.count, bytes(m.bytes)]); }));
    fill("federation", s.federation.map(function (n) {
      return row([n.name, el("code", n.peerId), el("span", n.state + " " + ago(n.since),
        n.state === "up" ? "ok" : n.state === "down" ? "failed" : ""),
        n.queuedMail, n.refused, n.lastError]);
    }));
    fill("throttles", s.throttles.map(function (t) {
      var button = el("button", "Clear");
      button.addEventListener("click", function () {
        api("POST", "/api/throttles/clear", { key: t.key }).then(refresh, report);
      });
      return row([t.key, t.failures, time(t.until), button]);
    }));
    var errors = $("errors");
    errors.replaceChildren();
    s.errors.forEach(addError);
    fill("audit", s.audit.map(function (a) { return row([time(a.at), a.actor, a.action, a.target, a.outcome]); }));
    renderTick(s.counts);
    renderOnline();
    renderRecent();
  }

  function renderTick(t) {
    $("connected").textContent = t.connected;
    $("logged-in").textContent = t.loggedIn;
    $("accounts").textContent = t.accounts + (t.disabled ? " (" + t.disabled + " disabled)" : "");
    if (t.at) {
      state.history.push({ at: t.at, connected: t.connected, loggedIn: t.loggedIn });
      var cutoff = t.at - 3600000;
      state.history = state.history.filter(function (p) { return p.at >= cutoff; });
    }
    renderChart();
  }

  function renderChart() {
    var svg = $("chart");
    var points = state.history;
    var ns = "http://www.w3.org/2000/svg";
    var now = points.length ? points[points.length - 1].at : Date.now();
    // The chart spans the samples it has, from one minute up to the hour.
    var span = Math.min(3600000, Math.max(60000, points.length ? now - points[0].at : 0));
    var max = 1;
    points.forEach(function (p) { max = Math.max(max, p.connected, p.loggedIn); });
    function line(key, cls) {
      var poly = document.createElementNS(ns, "polyline");
      poly.setAttribute("class", cls);
      poly.setAttribute("points", points.map(function (p) {
        var x = 600 - ((now - p.at) / span) * 600;
        var y = 150 - (p[key] / max) * 140;
        return x.toFixed(1) + "," + y.toFixed(1);
      }).join(" "));
      return poly;
    }
    var grid = document.createElementNS(ns, "line");
    grid.setAttribute("x1", "0");
    grid.setAttribute("x2", "600");
    grid.setAttribute("y1", "10");
    grid.setAttribute("y2", "10");
    grid.setAttribute("class", "grid");
    svg.replaceChildren(grid, line("connected", "connected"), line("loggedIn", "logged-in"));
    $("chart-scale").textContent = "top line " + max + " · last " + ago(Date.now() - span);
  }

  function renderOnline() {
    var users = Array.from(state.online.values()).sort(function (a, b) { return a.username < b.username ? -1 : 1; });
    fill("online", users.map(function (u) { return row([u.username, ago(u.since), u.kind]); }));
    $("logged-in").textContent = users.length;
  }

  var RESULTS = { logins_ok: ["ok", "ok"], logins_failed: ["wrong password", "failed"],
    logins_throttled: ["throttled", "failed"], logins_disabled: ["disabled", "failed"],
    registrations: ["registered", "ok"] };
  function renderRecent() {
    fill("recent", state.recent.slice(0, 20).map(function (a) {
      var r = RESULTS[a.counter] || [a.counter, ""];
      return row([time(a.at), a.username || "", a.address || "", el("span", r[0], r[1])]);
    }));
  }

  function addError(record) {
    var list = $("errors");
    list.insertBefore(el("li", time(Date.parse(record.time)) + " " + record.level + " [" + record.scope + "] " + record.message), list.firstChild);
    while (list.children.length > 50) list.removeChild(list.lastChild);
  }

  var users = [];
  function loadUsers() {
    api("GET", "/api/users").then(function (data) { users = data.users; renderUsers(); }, report);
  }
  function renderUsers() {
    var filter = $("user-filter").value.trim().toLowerCase();
    var shown = users.filter(function (u) { return u.username.indexOf(filter) >= 0; }).slice(0, 200);
    fill("users", shown.map(function (u) {
      var actions = el("span");
      var toggle = el("button", u.disabledAt ? "Enable" : "Disable");
      toggle.dataset.action = u.disabledAt ? "enable" : "disable";
      toggle.dataset.user = u.username;
      var del = el("button", "Delete", "danger");
      del.dataset.action = "delete";
      del.dataset.user = u.username;
      var keys = el("button", "Key log");
      keys.dataset.action = "keylog";
      keys.dataset.user = u.username;
      actions.append(toggle, " ", del, " ", keys);
      var status = u.disabledAt ? el("span", "disabled", "disabled") : el("span", "active", "ok");
      return row([u.username, status, u.mailCount, u.oneTimePrekeys, actions]);
    }));
  }
  function act(action, name) {
    if (action === "keylog") {
      return api("GET", "/api/users/" + encodeURIComponent(name) + "/keylog").then(function (data) {
        var pre = $("keylog");
        pre.hidden = false;
        pre.textContent = "Key log of " + name + "\n" + data.keyLog.map(function (k) {
          return "#" + k.seq + "  " + k.peerId + "\n     " + k.identityKey;
        }).join("\n");
      }, report);
    }
    if (action === "delete" && !confirm("Delete " + name + "? Its prekeys and mail go; the name is held for the cooling-off period.")) return;
    api("POST", "/api/users/" + encodeURIComponent(name) + "/" + action).then(function () {
      $("action-result").textContent = action + " " + name + ": done";
      loadUsers();
      refresh();
    }, report);
  }
  function refresh() { api("GET", "/api/stats").then(renderSnapshot, report); }
  function report(err) { $("action-result").textContent = String(err.message || err); }

  document.addEventListener("DOMContentLoaded", function () {
    $("login-form").addEventListener("submit", function (e) {
      e.preventDefault();
      fetch("/api/login", { method: "POST", headers: { "content-type": "application/json" },
        credentials: "same-origin", body: JSON.stringify({ token: $("token").value.trim() }) })
        .then(function (res) {
          return res.json().then(function (data) {
            if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
            $("token").value = "";
            start(data.csrf);
          });
        }).catch(function (err) { showLogin(err.message); });
    });
    $("logout").addEventListener("click", function () {
      api("POST", "/api/logout").then(function () { location.reload(); }, report);
    });
    $("users").addEventListener("click", function (e) {
      var target = e.target;
      if (target instanceof HTMLButtonElement && target.dataset.action) act(target.dataset.action, target.dataset.user);
    });
    $("user-filter").addEventListener("input", renderUsers);
    setInterval(renderOnline, 10000);
    fetch("/api/session", { credentials: "same-origin" }).then(function (res) {
      if (res.ok) return res.json().then(function (d) { start(d.csrf); });
      showLogin("");
    }, function () { showLogin("Cannot reach the rendezvous"); });
  });
})();
`;
