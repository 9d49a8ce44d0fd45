/** The bench's report: rows of figures, formatted as a plain-text table. */

/** A raw figure another is divided by. */
export interface Baseline {
  readonly label: string;
  readonly value: number;
}

/** One figure, optionally compared with a raw baseline and with the server's CPU use. */
export interface Row {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** The raw baseline this figure is divided by. */
  readonly baseline?: Baseline | undefined;
  readonly serverCpuMsPerOp?: number | undefined;
  readonly serverCpuPercent?: number | undefined;
}

/** A titled group of rows. */
export interface Section {
  readonly title: string;
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

const HEADER = ["measurement", "value", "unit", "ratio to raw baseline", "srv CPU/op", "srv CPU"];

/** Formats `sections` as an aligned table, one block per section. */
export function formatReport(sections: readonly Section[]): string {
  const cells = sections.map((s) => s.rows.map(rowCells));
  const widths = HEADER.map((h, c) =>
    Math.max(h.length, ...cells.flat().map((row) => row[c]!.length))
  );
  const line = (row: readonly string[]) =>
    row.map((cell, c) => c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))
      .join("  ").trimEnd();
  const rule = "-".repeat(widths.reduce((a, b) => a + b + 2, -2));
  const out = [line(HEADER), rule];
  sections.forEach((section, i) => {
    out.push(`${section.title}`);
    for (const row of cells[i]!) out.push(line(row));
    for (const note of section.notes ?? []) out.push(`    note: ${note}`);
    out.push("");
  });
  return out.join("\n");
}

function rowCells(row: Row): string[] {
  return [
    `  ${row.label}`,
    formatNumber(row.value),
    row.unit,
    row.baseline ? `${formatRatio(row.value / row.baseline.value)} × ${row.baseline.label}` : "",
    row.serverCpuMsPerOp === undefined ? "" : `${formatNumber(row.serverCpuMsPerOp)} ms`,
    row.serverCpuPercent === undefined ? "" : `${row.serverCpuPercent.toFixed(0)} %`,
  ];
}

/** Three significant digits, without exponent notation for ordinary magnitudes. */
export function formatNumber(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(digits, 6));
}

function formatRatio(ratio: number): string {
  return ratio >= 0.01 ? ratio.toFixed(3) : `${formatNumber(ratio)} (1/${Math.round(1 / ratio)})`;
}
