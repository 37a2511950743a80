/**
 * Checks `miniscale` command lines found in deployment files against the real CLI
 * (cli-parse.ts, in a child process: importing src/cli.ts runs a command line).
 */
import { finished, spawnTs } from '../support/processes.js';

/** One error message per line, or null where the CLI accepts the line. */
export async function cliErrors(lines: string[][], env: Record<string, string> = {}): Promise<(string | null)[]> {
  const child = spawnTs('test/deploy/cli-parse.ts', [JSON.stringify({ lines, env })]);
  const run = await finished(child, 60_000);
  const last = run.stdout.trimEnd().split('\n').at(-1) ?? '';
  if (run.code !== 0 || !last.startsWith('RESULT ')) throw new Error(`cli-parse.ts failed (exit ${run.code}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(last.slice('RESULT '.length)) as (string | null)[];
}

/** Asserts every line is accepted; the message names each rejected line and why. */
export async function assertCliAccepts(lines: string[][], env: Record<string, string> = {}): Promise<void> {
  const errors = await cliErrors(lines, env);
  const bad = lines.flatMap((line, i) => (errors[i] ? [`miniscale ${line.join(' ')}\n    → ${errors[i]}`] : []));
  if (bad.length > 0) throw new Error(`the CLI rejects ${bad.length} command line(s):\n${bad.join('\n')}`);
}

/**
 * Splits a shell-like command line into words: whitespace-separated, with '…' and "…"
 * quoting (no escapes, no expansion; enough for the command lines in these files).
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}
