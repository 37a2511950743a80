/**
 * How to start another `miniscale` process from this one. Resolved from this module's
 * own location rather than process.argv, which is the test file under a test runner:
 * built code runs dist/cli.js; source run through tsx runs src/cli.ts with tsx again.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function cliCommand(): { file: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const cli = path.join(path.dirname(here), '..', fromSource ? 'cli.ts' : 'cli.js');
  return { file: process.execPath, args: [...(fromSource ? ['--import', 'tsx'] : []), cli] };
}
