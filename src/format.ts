/** Human formatting of sizes, fractions and tables, shared by every command. */

/** Bytes in decimal units (kB = 1000 B), as transfer sizes are usually quoted. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** A fraction as a percentage. */
export function formatPercent(f: number, digits = 1): string {
  return `${(f * 100).toFixed(digits)} %`;
}

/** A number in 4 significant digits, exponent form when tiny or huge. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? Number(x.toPrecision(4)).toString() : x.toExponential(2);
}

/** Render rows as aligned columns; `right` marks right-aligned columns. */
export function table(header: string[], rows: string[][], right: boolean[] = []): string {
  // Column widths ignore ANSI colour codes.
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = header.map((h, i) => Math.max(plain(h).length, ...rows.map((r) => plain(r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - plain(cell).length);
        return right[i] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
