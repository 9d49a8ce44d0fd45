/**
 * A transfer's progress as one line of text (bytes, percent, bar, rate, ETA): pure, so the CLI
 * only decides where and when to draw it. The rate is a moving estimate over recent samples.
 */
import { formatBytes, formatDuration } from "../units.ts";

/** What one progress line shows. */
export interface ProgressState {
  /** A short label: "→ bob report.pdf". */
  readonly label: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** Bytes per second; undefined before there is an estimate. */
  readonly rate: number | undefined;
}

/** Cells of the bar. */
export const BAR_CELLS = 20;

/**
 * The progress line: `label  [#######-------------]  35%  17.5 MiB / 50.0 MiB  12.3 MiB/s  ETA 0:03`.
 */
export function formatProgress(state: ProgressState): string {
  const { doneBytes, totalBytes, rate } = state;
  const fraction = totalBytes <= 0 ? 1 : Math.min(1, Math.max(0, doneBytes / totalBytes));
  const filled = Math.floor(fraction * BAR_CELLS);
  const bar = "#".repeat(filled) + "-".repeat(BAR_CELLS - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const speed = rate === undefined ? "--" : `${formatBytes(rate)}/s`;
  const eta = rate === undefined || rate <= 0
    ? "--:--"
    : formatDuration(Math.max(0, totalBytes - doneBytes) / rate);
  return `${state.label}  [${bar}] ${percent}  ${formatBytes(doneBytes)} / ` +
    `${formatBytes(totalBytes)}  ${speed}  ETA ${eta}`;
}

/** Estimates a rate from (time, bytes) samples over a sliding window. */
export class RateMeter {
  readonly #samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 3_000) {}

  /** Records that `bytes` were done at time `at` (ms). */
  add(at: number, bytes: number): void {
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && this.#samples[0]!.at < at - this.windowMs) {
      this.#samples.shift();
    }
  }

  /** Bytes per second over the window, or undefined with fewer than 2 samples or no time. */
  rate(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at) return undefined;
    return (last.bytes - first.bytes) / ((last.at - first.at) / 1000);
  }
}
