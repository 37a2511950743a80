/**
 * How to start another Miniscale process from this one. Resolved from this module's
 * own location rather than process.argv, which is the test file under a test runner:
 * built code runs dist/…/*.js; source run through tsx runs src/…/*.ts with tsx again.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Command {
  file: string;
  args: string[];
}

/** The `miniscale` CLI. */
export function cliCommand(): Command {
  return entryCommand('../cli');
}

/** A program's entry module, named relative to src/core/ without its extension. */
export function entryCommand(relative: string): Command {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const entry = path.join(path.dirname(here), `${relative}.${fromSource ? 'ts' : 'js'}`);
  return { file: process.execPath, args: [...(fromSource ? ['--import', 'tsx'] : []), entry] };
}
