/** The dashboard's stylesheet, embedded as a string (served as /dashboard.css). */
export const DASHBOARD_CSS = `
:root { --bg: #f6f7f9; --fg: #1d232b; --muted: #5f6b7a; --card: #fff; --line: #dde2e8;
  --accent: #2463eb; --green: #16a34a; --red: #dc2626; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #11151a; --fg: #e6e9ee; --muted: #9aa5b4; --card: #1a2027; --line: #2c3440; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: center; justify-content: space-between; padding: 0.6rem 1rem;
  background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.15rem; margin: 0; }
h1 span { color: var(--muted); font-weight: normal; }
h2 { font-size: 1rem; margin: 0 0 0.5rem; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 0.75rem; }
.card, .panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; }
.panel { margin-top: 0.75rem; overflow-x: auto; }
.card .label { display: block; color: var(--muted); font-size: 0.85rem; }
.card .big { font-size: 1.8rem; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 0 0.75rem; }
@media (max-width: 420px) { .grid { grid-template-columns: 1fr; } }
table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.25rem 0.4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; }
#chart { width: 100%; height: 160px; background: var(--bg); border-radius: 4px; }
#chart .connected { stroke: var(--accent); } #chart .logged-in { stroke: var(--green); }
#chart polyline { fill: none; stroke-width: 2; vector-effect: non-scaling-stroke; }
.legend { color: var(--muted); font-size: 0.85rem; margin: 0.3rem 0 0; }
.key { display: inline-block; width: 0.8rem; height: 0.2rem; vertical-align: middle; margin-left: 0.6rem; }
.key.connected { background: var(--accent); } .key.logged-in { background: var(--green); }
button { font: inherit; padding: 0.2rem 0.6rem; border: 1px solid var(--line); border-radius: 5px;
  background: var(--bg); color: var(--fg); cursor: pointer; }
button.danger { color: var(--red); }
td button { font-size: 0.8rem; padding: 0.1rem 0.4rem; }
td:last-child { white-space: normal; }
.panel.wide { grid-column: 1 / -1; }
#chart line.grid { stroke: var(--line); stroke-dasharray: 4 4; vector-effect: non-scaling-stroke; }
input { font: inherit; padding: 0.3rem 0.5rem; border: 1px solid var(--line); border-radius: 5px;
  background: var(--bg); color: var(--fg); }
#user-filter { width: 100%; margin-bottom: 0.4rem; }
#login form { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
#token { min-width: 18rem; flex: 1; }
.error, .failed { color: var(--red); } .ok { color: var(--green); }
.disabled { color: var(--red); font-weight: 600; }
pre { background: var(--bg); padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.8rem; margin: 0; font-size: 0.9rem; }
dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
ul { margin: 0; padding-left: 1.2rem; font-size: 0.85rem; }
.notice { padding: 1rem; }
`;
