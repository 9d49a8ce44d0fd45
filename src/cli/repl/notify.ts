/**
 * Notifications for messages the user is not looking at: the terminal bell, and a desktop
 * notification escape where the terminal has one — OSC 777 (`ESC ] 777 ; notify ; title ; body
 * BEL`: VTE terminals such as GNOME Terminal, foot, urxvt) or OSC 9 (`ESC ] 9 ; text BEL`: iTerm2,
 * Windows Terminal, kitty, WezTerm). Terminals without them ignore the escape. Inside tmux the
 * escape is wrapped for tmux's passthrough (shown when `allow-passthrough` is on).
 */

/** How to notify: TINCAN_NOTIFY=off|bell|osc9|osc777, else chosen from the terminal. */
export type NotifyMode = "off" | "bell" | "osc9" | "osc777";

const MODES: readonly NotifyMode[] = ["off", "bell", "osc9", "osc777"];

/** Longest notification body, in characters. */
const MAX_BODY = 120;

/** The mode for this environment: TINCAN_NOTIFY if valid, OSC 777 on VTE/foot/urxvt, else OSC 9. */
export function notifyMode(env: (name: string) => string | undefined): NotifyMode {
  const chosen = env("TINCAN_NOTIFY")?.toLowerCase();
  if (chosen !== undefined && (MODES as readonly string[]).includes(chosen)) {
    return chosen as NotifyMode;
  }
  if (env("VTE_VERSION") || /^(foot|rxvt)/.test(env("TERM") ?? "")) return "osc777";
  return "osc9";
}

/** Printable, one line, without the separators of OSC 777. */
function clean(text: string, max: number): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f;]/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * What to write to notify of `body` under `title` in `mode` (empty for "off"); `inTmux` wraps the
 * escape for tmux.
 */
export function notification(
  mode: NotifyMode,
  title: string,
  body: string,
  inTmux: boolean,
): string {
  if (mode === "off") return "";
  if (mode === "bell") return "\x07";
  const t = clean(title, 40);
  const b = clean(body, MAX_BODY);
  const osc = mode === "osc9" ? `\x1b]9;${t}: ${b}\x07` : `\x1b]777;notify;${t};${b}\x07`;
  const wrapped = inTmux ? `\x1bPtmux;${osc.replaceAll("\x1b", "\x1b\x1b")}\x1b\\` : osc;
  return `\x07${wrapped}`;
}
