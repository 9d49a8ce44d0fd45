/**
 * The permissions tincan runs with, in one place: `deno task compile` bakes them into every
 * binary, and the bundle test runs the bundle with exactly these (no -A, no FFI, no subprocess).
 */

/** Deno permission flags of the shipped tincan: network, its files, its env, interface names. */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=networkInterfaces",
];
