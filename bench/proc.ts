/**
 * Reads a process's memory and CPU time from Linux's /proc. Deno lets only --allow-all read
 * /proc directly, so the files are read through `cat` (needs --allow-run).
 */

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Resident and peak resident memory of a process, in KiB. */
export interface Memory {
  readonly rssKiB: number;
  readonly peakRssKiB: number;
}

/**
 * Reads VmRSS and VmHWM of `pid`.
 * @throws Error when /proc is unreadable or lacks the fields (not Linux, or the process ended).
 */
export async function readMemory(pid: number): Promise<Memory> {
  const status = await readProcFile(`/proc/${pid}/status`);
  return { rssKiB: field(status, "VmRSS", pid), peakRssKiB: field(status, "VmHWM", pid) };
}

/**
 * Reads the user + system CPU time `pid` has used so far (all its threads), in milliseconds.
 * @throws Error when /proc/<pid>/stat is unreadable.
 */
export async function readCpuMs(pid: number): Promise<number> {
  const stat = await readProcFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name start at field 3 (state); utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  if (!Number.isFinite(ticks)) throw new Error(`Cannot read the CPU time of process ${pid}`);
  return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
}

async function readProcFile(path: string): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("cat", { args: [path] }).output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`Cannot read ${path}: ${decoder.decode(stderr).trim()}`);
  return decoder.decode(stdout);
}

function field(status: string, name: string, pid: number): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
  if (match === null) throw new Error(`Cannot read ${name} of process ${pid} from /proc`);
  return Number(match[1]);
}
