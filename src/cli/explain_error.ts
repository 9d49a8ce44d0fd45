/**
 * Library errors as sentences: libp2p, Yamux and Noise fail with messages meant for their own
 * developers ("bad frame: The stream has been reset", "The dial request has no valid addresses
 * for peer …"). Before the CLI shows an error it replaces such a tail with what failed and what
 * to do; with --verbose the original follows. Pure.
 */

/** A raw library message and the sentence shown instead. */
interface Rule {
  /** Matches the raw part, from where it starts to the end of the message. */
  readonly raw: RegExp;
  readonly sentence: string;
}

const RULES: readonly Rule[] = [
  {
    raw: /(bad frame: )?(the )?stream (has been|was) (reset|aborted).*$/is,
    sentence: "the connection was cut off halfway (the other side went away or the network " +
      "dropped); try again",
  },
  {
    raw: /cannot (write to|read from) a stream that is (closed|closing).*$/is,
    sentence: "the connection closed before the exchange finished; try again",
  },
  {
    raw: /(the dial request has no valid addresses for peer|no valid addresses).*$/is,
    sentence: "it has no address this computer can dial (a rendezvous address needs TCP and a " +
      "port, like /ip4/203.0.113.7/tcp/4001)",
  },
  {
    raw: /(all multiaddr dials failed|connection refused|(connect )?ECONNREFUSED).*$/is,
    sentence: "nothing answered there; check the address and that it is running, then try again",
  },
  {
    raw: /payload identity key .* does not match.*$/is,
    sentence: "the node there is not the one the address's /p2p/ PeerId names; check the PeerId " +
      "(ask its operator) or leave /p2p/… out to trust it on first use",
  },
  {
    raw: /(the operation was aborted due to timeout|timed? ?out after \d+ ?ms|TimeoutError).*$/is,
    sentence: "it did not answer in time; check the network and try again",
  },
];

/**
 * `message` with a known library tail replaced by its sentence, or undefined when it has none.
 * "Cannot log in as alice at X: bad frame: The stream has been reset" becomes "Cannot log in as
 * alice at X: the connection was cut off halfway …".
 */
export function explainMessage(message: string): string | undefined {
  for (const { raw, sentence } of RULES) {
    const match = raw.exec(message);
    if (match) return message.slice(0, match.index) + sentence;
  }
  return undefined;
}

/**
 * The text to show for `err`: its message, with a library tail explained; with `verbose` the
 * original message follows in parentheses.
 */
export function describeError(err: unknown, verbose: boolean): string {
  const message = err instanceof Error ? err.message : String(err);
  const explained = explainMessage(message);
  if (explained === undefined) return message;
  return verbose ? `${explained} (detail: ${message})` : explained;
}
