/** What every benchmark report needs: a markdown table, number formats, medians, the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Prints a markdown table; `right[i]` right-aligns column i (numbers). */
export function printMarkdownTable(head: string[], body: string[][], right: boolean[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const b of body) console.log(line(b));
}

/** a ÷ b as "0.42×" (three decimals under 0.1), or "n/a". */
export function ratio(a: number, b: number): string {
  const r = a / b;
  return b > 0 && Number.isFinite(r) ? `${r.toFixed(r < 0.1 ? 3 : 2)}×` : 'n/a';
}

export function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function writeJson(file: string, data: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}
