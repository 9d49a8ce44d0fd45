/** What rooms tell the user interface. */
import type { MessageIdHex } from "../events.ts";

/** What rooms tell the user interface. */
export type RoomEvent =
  /** A message in a room. */
  | {
    type: "room-message";
    id: MessageIdHex;
    room: string;
    from: string;
    text: string;
    sentAt: number;
  }
  /** Someone added us to a room: /join accepts. */
  | { type: "room-invite"; room: string; from: string }
  /** A membership change in a room (joined, added, removed, left). */
  | { type: "room-notice"; room: string; text: string }
  /** A message to everyone online. */
  | { type: "broadcast"; id: MessageIdHex; from: string; text: string; sentAt: number };

/** Receives room events. */
export type RoomListener = (event: RoomEvent) => void;
