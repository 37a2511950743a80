/**
 * Run as a child process by cli-check.ts: parses command lines with the real `miniscale`
 * program (src/cli.ts's buildProgram) with every action replaced, so a line is judged
 * exactly as the CLI would judge it — unknown commands and flags, missing values,
 * choices, number ranges — without starting anything. `up` lines also go through
 * resolveUpOptions, the checks `up` makes before it starts (--advertise's rules and the
 * WeChat settings among them).
 *
 * Input: argv[2] is JSON `{ lines: string[][], env: Record<string, string> }`, each line
 * the arguments after `miniscale`. Output: one last stdout line, `RESULT ` + JSON of one
 * error message (or null) per line.
 */
import type { Command } from 'commander';
import { resolveUpOptions, type UpFlags } from '../../src/local/up-options.js';

interface Input {
  lines: string[][];
  env: Record<string, string>;
}

const input = JSON.parse(process.argv[2] ?? '') as Input;
// src/cli.ts runs its own command line when imported: given only --version it prints the
// version and returns, after which buildProgram() makes fresh programs to parse with.
const argv = process.argv;
process.argv = [argv[0]!, 'miniscale', '--version'];
const { buildProgram } = await import('../../src/cli.js');
process.argv = argv;

function silence(cmd: Command): void {
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const sub of cmd.commands) silence(sub);
}

function stubActions(cmd: Command, env: Record<string, string>): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length > 0) stubActions(sub, env);
    else if (sub.name() === 'up')
      sub.action((flags: UpFlags) => {
        resolveUpOptions(flags, env);
      });
    else sub.action(() => undefined);
  }
}

async function judge(line: string[]): Promise<string | null> {
  const program = buildProgram();
  silence(program);
  stubActions(program, input.env);
  try {
    await program.parseAsync(line, { from: 'user' });
    return null;
  } catch (err) {
    const exitCode = (err as { exitCode?: unknown }).exitCode;
    if (exitCode === 0) return null; // --help, --version
    return (err as Error).message;
  }
}

const results: (string | null)[] = [];
for (const line of input.lines) results.push(await judge(line));
process.stdout.write(`\nRESULT ${JSON.stringify(results)}\n`);
