/**
 * The status line at the bottom of the chat: who you are, the rendezvous, whether the connection
 * to it holds, the current conversation, and the conversations with unread messages
 * (`[2:bob 2] [3:#dev 5]`, their window numbers first). Pure: text in, one row out.
 */
import { textWidth } from "./char_width.ts";
import type { ConversationView } from "./conversations.ts";
import type { Style } from "./format.ts";

/** What the status line shows. */
export interface StatusInfo {
  readonly self: string;
  /** The rendezvous multiaddr (shown as host:port when it has them). */
  readonly rendezvous: string;
  /** False after a "rendezvous lost" notice, until "back". */
  readonly connected: boolean;
  readonly conversations: readonly ConversationView[];
  /** Rows of a long input not shown (above, below). */
  readonly hiddenInput?: { readonly above: number; readonly below: number };
}

/** `/ip4/127.0.0.1/tcp/4001/…` as `127.0.0.1:4001`; anything else as it is. */
export function shortAddress(multiaddr: string): string {
  const m = /^\/(?:ip4|ip6|dns4|dns6|dns)\/([^/]+)\/(?:tcp|udp)\/(\d+)/.exec(multiaddr);
  return m ? `${m[1]}:${m[2]}` : multiaddr;
}

/** The status line for `info`, at most `width - 1` columns (the last column is never written). */
export function statusLine(info: StatusInfo, width: number, s: Style): string {
  const parts: string[] = [`${info.self}@${shortAddress(info.rendezvous)}`];
  parts.push(info.connected ? "connected" : "rendezvous lost, reconnecting…");
  const current = info.conversations.find((c) => c.current);
  parts.push(
    current
      ? `→ ${current.number}:${current.name}${current.muted ? " (muted)" : ""}`
      : "→ nobody (/to <user>)",
  );
  const unread = info.conversations.filter((c) => c.unread > 0 && !c.current)
    .map((c) => `[${c.number}:${c.name} ${c.unread}${c.mentioned ? "!" : ""}]`);
  if (unread.length > 0) parts.push(unread.join(" "));
  const hidden = info.hiddenInput;
  if (hidden && hidden.above + hidden.below > 0) {
    parts.push(`input: ${hidden.above} row(s) above, ${hidden.below} below`);
  }
  const text = fit(` ${parts.join(" │ ")} `, Math.max(1, width - 1));
  const decorate = info.connected ? s.inverse : (t: string) => s.inverse(s.yellow(t));
  return decorate(text);
}

/** `text` cut to `columns` (with "…") or padded with spaces to exactly that width. */
function fit(text: string, columns: number): string {
  const width = textWidth(text);
  if (width <= columns) return text + " ".repeat(columns - width);
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = textWidth(ch);
    if (used + w > columns - 1) break;
    out += ch;
    used += w;
  }
  return out + "…" + " ".repeat(Math.max(0, columns - 1 - used));
}
