/** Byte sizes and durations for people: formatting and parsing, pure; shared by every side. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `bytes` in binary units, 3 significant digits: "512 B", "1.50 KiB", "48.8 MiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A duration in whole seconds as "m:ss" or "h:mm:ss"; "--:--" when unknown or absurd. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds >= 100 * 3600) return "--:--";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

const FACTORS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a size like "2GiB", "500 MB", "64k" or "1048576" (bytes).
 * @throws RangeError when it is not a positive size.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? FACTORS[match[2]!.toLowerCase()] : undefined;
  const value = match && factor !== undefined ? Math.floor(Number(match[1]) * factor) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`"${text}" is not a size (examples: 2GiB, 500MB, 65536)`);
  }
  return value;
}
