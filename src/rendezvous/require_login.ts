/**
 * The one authorization check of the rendezvous protocols that serve only logged-in users
 * (directory, rendezvous REGISTER/DISCOVER, presence, mailbox): a request is served only when the
 * Noise-authenticated PeerId of its connection is logged in; any other gets the protocol's own
 * refusal (its E_NOT_AUTHORIZED answer).
 */
import type { Connection } from "@libp2p/interface";
import type { LoggedInUsers } from "./logged_in_users.ts";

/** What a protocol handler needs to know of a connection: who is at the other end. */
export type Caller = Pick<Connection, "remotePeer">;

/** Serves `request` for the logged-in user `username` on `connection`. */
export type ServeLoggedIn<Req, Res, C extends Caller = Caller> = (
  request: Req,
  username: string,
  connection: C,
) => Promise<Res>;

/** The text every refusal carries. */
export const LOG_IN_FIRST = "log in first";

/**
 * Wraps `serve` so that it runs only for a logged-in caller; for anyone else the wrapper answers
 * `refuse(request)`. The check and the call to `serve` happen in the same turn, so `serve` starts
 * while the login it was given still holds.
 */
export function requireLogin<Req, Res, C extends Caller = Caller>(
  loggedIn: LoggedInUsers,
  refuse: (request: Req) => Res | Promise<Res>,
  serve: ServeLoggedIn<Req, Res, C>,
): (request: Req, connection: C) => Promise<Res> {
  return async (request, connection) => {
    const username = loggedIn.usernameOf(connection.remotePeer.toString());
    if (username === undefined) return await refuse(request);
    return await serve(request, username, connection);
  };
}
