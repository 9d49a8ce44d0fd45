/**
 * The chat's conversations as windows, irssi-style: each user or #room that has talked gets a
 * number (for Alt-1…9 and /w N), unread counts while it is not the current one, mentions of you,
 * and /mute. Pure state; the REPL asks it what to show and whether to notify.
 */

/** One conversation as the status line shows it. */
export interface ConversationView {
  readonly name: string;
  /** Its window number, from 1. */
  readonly number: number;
  readonly unread: number;
  /** A message among the unread ones mentions you. */
  readonly mentioned: boolean;
  readonly muted: boolean;
  readonly current: boolean;
}

/** What to do about a message that arrived. */
export interface Arrival {
  /** Ring the bell / send a desktop notification. */
  readonly notify: boolean;
  /** It mentions you: show it highlighted. */
  readonly mention: boolean;
}

/** Whether `text` names `self` as a word (optionally as @self), case-insensitively. */
export function mentions(text: string, self: string): boolean {
  const name = self.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${name}($|[^\\p{L}\\p{N}_])`, "iu").test(text);
}

/** The conversations of one chat. */
export class Conversations {
  readonly #self: string;
  readonly #order: string[] = [];
  readonly #unread = new Map<string, number>();
  readonly #mentioned = new Set<string>();
  readonly #muted = new Set<string>();
  #current: string | undefined;

  /** Conversations of `self` (mentions are of that name). */
  constructor(self: string) {
    this.#self = self;
  }

  /** The current conversation: where plain text goes. */
  get current(): string | undefined {
    return this.#current;
  }

  /** Makes `name` current (giving it a window if new) and marks it read. */
  select(name: string): void {
    this.#add(name);
    this.#current = name;
    this.#unread.delete(name);
    this.#mentioned.delete(name);
  }

  /** The conversation with window `number`, or undefined. */
  byNumber(number: number): string | undefined {
    return this.#order[number - 1];
  }

  /** Window numbers and names, in order. */
  names(): readonly string[] {
    return this.#order;
  }

  /** Counts a message from `from` in conversation `name`; says whether to notify and highlight. */
  arrived(name: string, from: string, text: string): Arrival {
    this.#add(name);
    const mention = from !== this.#self && mentions(text, this.#self);
    const away = name !== this.#current;
    if (away) {
      this.#unread.set(name, (this.#unread.get(name) ?? 0) + 1);
      if (mention) this.#mentioned.add(name);
    }
    return { notify: !this.#muted.has(name) && (away || mention), mention };
  }

  /**
   * Counts `count` messages of conversation `name` that came while the chat was not running
   * (shown at login): unread unless it is the current one; no notification.
   */
  unreadWhileAway(name: string, count: number): void {
    this.#add(name);
    if (name === this.#current || count <= 0) return;
    this.#unread.set(name, (this.#unread.get(name) ?? 0) + count);
  }

  /** Mutes `name` (no notifications; unread still counted) or unmutes it; true when now muted. */
  toggleMute(name: string): boolean {
    this.#add(name);
    if (this.#muted.delete(name)) return false;
    this.#muted.add(name);
    return true;
  }

  /** Forgets `name` (a room left): its window goes, and it is no longer current. */
  remove(name: string): void {
    const at = this.#order.indexOf(name);
    if (at >= 0) this.#order.splice(at, 1);
    this.#unread.delete(name);
    this.#mentioned.delete(name);
    if (this.#current === name) this.#current = undefined;
  }

  /** Unread messages in `name` (0 when none, or no such conversation). */
  unread(name: string): number {
    return this.#unread.get(name) ?? 0;
  }

  /** Every conversation, in window order. */
  view(): ConversationView[] {
    return this.#order.map((name, i) => ({
      name,
      number: i + 1,
      unread: this.#unread.get(name) ?? 0,
      mentioned: this.#mentioned.has(name),
      muted: this.#muted.has(name),
      current: name === this.#current,
    }));
  }

  #add(name: string): void {
    if (!this.#order.includes(name)) this.#order.push(name);
  }
}
