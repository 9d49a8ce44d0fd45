/** tincan: parse argv, dispatch to a command, exit with its code. */
import { dispatch } from "./src/cli/dispatch.ts";
import { consoleIO } from "./src/cli/io.ts";

if (import.meta.main) {
  // Exit explicitly: a stopped libp2p TCP listener can keep Deno's event loop alive.
  Deno.exit(await dispatch(Deno.args, consoleIO, (name) => Deno.env.get(name)));
}
