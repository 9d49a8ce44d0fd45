/**
 * Where tincan keeps per-user data (profiles, the embedded rendezvous): $XDG_DATA_HOME; on
 * Windows %LOCALAPPDATA% (else %USERPROFILE%\AppData\Local); else ~/.local/share. Pure: the
 * environment and the OS are given.
 */
import { posix, win32 } from "node:path";

/** Reads an environment variable. */
export type EnvReader = (name: string) => string | undefined;

/**
 * The data directory tincan's folder goes in, or undefined when the environment names none.
 * `os` is Deno.build.os (tests pass another).
 */
export function dataHome(env: EnvReader, os: string = Deno.build.os): string | undefined {
  const xdg = env("XDG_DATA_HOME");
  if (xdg) return xdg;
  if (os === "windows") {
    const local = env("LOCALAPPDATA");
    if (local) return local;
    const profile = env("USERPROFILE");
    if (profile) return win32.join(profile, "AppData", "Local");
  }
  const home = env("HOME");
  if (!home) return undefined;
  return (os === "windows" ? win32 : posix).join(home, ".local", "share");
}

/** The variables to set when dataHome finds none, for the error message. */
export function dataHomeHint(os: string = Deno.build.os): string {
  return os === "windows" ? "set LOCALAPPDATA, XDG_DATA_HOME or HOME" : "set XDG_DATA_HOME or HOME";
}
