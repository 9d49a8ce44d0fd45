/**
 * What arrived while the user was away: the chat listens to the peer and its services before
 * the login (mail is read during it), keeps what comes until the REPL runs, then shows it under
 * one marker line ("— 3 messages while you were away —") with unread counts per conversation
 * (a user, or a #room), which the status line shows too.
 */
import type { PeerEvent } from "../../peer/events.ts";
import type { FileEvent } from "../../peer/files/events.ts";
import type { RoomEvent } from "../../peer/rooms/events.ts";
import { fileEventLines } from "./file_commands.ts";
import { formatEvent, type Style } from "./format.ts";
import { formatRoomEvent } from "./room_commands.ts";

/** One event kept during the login, from the peer, its rooms or its file transfers. */
export type AwayEvent =
  | { readonly source: "peer"; readonly event: PeerEvent }
  | { readonly source: "room"; readonly event: RoomEvent }
  | { readonly source: "file"; readonly event: FileEvent };

/** How many messages came while away, and in which conversations. */
export interface AwaySummary {
  /** Messages: direct, in rooms, broadcasts, and file offers. */
  readonly total: number;
  /** Unread messages by conversation ("bob", "#dev"; broadcasts under their sender), by arrival. */
  readonly unread: ReadonlyMap<string, number>;
}

/** What the REPL shows first: the summary and its lines (marker first). */
export interface AwayReport {
  readonly summary: AwaySummary;
  /** Empty when nothing came. */
  readonly lines: readonly string[];
}

/** The conversation a kept event is an unread message of, or undefined when it is none. */
export function unreadConversation(item: AwayEvent): string | undefined {
  switch (item.source) {
    case "peer":
      return item.event.type === "message" ? item.event.from : undefined;
    case "room":
      if (item.event.type === "room-message") return item.event.room;
      return item.event.type === "broadcast" ? item.event.from : undefined;
    case "file":
      return item.event.type === "file-offered" && !item.event.transfer.outgoing
        ? item.event.transfer.peer
        : undefined;
  }
}

/** Counts the messages among `items`: pure. */
export function awaySummary(items: readonly AwayEvent[]): AwaySummary {
  const unread = new Map<string, number>();
  for (const item of items) {
    const conversation = unreadConversation(item);
    if (conversation !== undefined) unread.set(conversation, (unread.get(conversation) ?? 0) + 1);
  }
  let total = 0;
  for (const n of unread.values()) total += n;
  return { total, unread };
}

/** The marker line above what came while away. */
export function awayMarker(summary: AwaySummary): string {
  const what = summary.total === 1 ? "1 message" : `${summary.total} messages`;
  const where = [...summary.unread].map(([name, n]) => `${name} ${n}`).join(", ");
  return summary.total === 0
    ? "— while you were away —"
    : `— ${what} while you were away (${where}) —`;
}

/**
 * The summary and lines of what was kept, formatted as the REPL formats live events (presence
 * changes seen at login are left out: they are the present, not news; so are the peer events
 * `hidden` names, as the REPL hides receipts of room messages).
 */
export function awayReport(
  items: readonly AwayEvent[],
  s: Style,
  hidden: (event: PeerEvent) => boolean = () => false,
): AwayReport {
  const summary = awaySummary(items);
  const fileLine = fileEventLines(s);
  const lines: string[] = [];
  for (const item of items) {
    let line: string | undefined;
    if (item.source === "peer") {
      const { event } = item;
      line = event.type === "presence" || hidden(event) ? undefined : formatEvent(event, s);
    } else if (item.source === "room") line = formatRoomEvent(item.event, s);
    else line = fileLine(item.event);
    if (line !== undefined) lines.push(line);
  }
  if (lines.length === 0) return { summary, lines };
  return { summary, lines: [s.bold(awayMarker(summary)), ...lines, s.dim("— now —")] };
}

/** What the recorder listens to: the peer, and its rooms and files when it has them. */
export interface AwaySources {
  on(listener: (event: PeerEvent) => void): () => void;
  readonly rooms?: { on(listener: (event: RoomEvent) => void): () => void } | undefined;
  readonly files?: { on(listener: (event: FileEvent) => void): () => void } | undefined;
}

/**
 * Keeps every event from `sources`, in arrival order, until `stop`: start it before the peer
 * starts; stop it, synchronously, just before the REPL subscribes, so nothing is lost or shown
 * twice.
 */
export class AwayRecorder {
  readonly #items: AwayEvent[] = [];
  readonly #stops: (() => void)[] = [];

  /** Starts keeping what `sources` emit. */
  constructor(sources: AwaySources) {
    this.#stops.push(sources.on((event) => this.#items.push({ source: "peer", event })));
    const { rooms, files } = sources;
    if (rooms) this.#stops.push(rooms.on((event) => this.#items.push({ source: "room", event })));
    if (files) this.#stops.push(files.on((event) => this.#items.push({ source: "file", event })));
  }

  /** Stops listening; returns what was kept. */
  stop(): AwayEvent[] {
    this.#stops.splice(0).forEach((stop) => stop());
    return this.#items.splice(0);
  }
}
