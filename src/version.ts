/** The tincan version, reported by `--version` and in the libp2p identify agent string. */
export const VERSION = "0.1.0";
