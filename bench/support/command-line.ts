/**
 * The command line of a wrk benchmark (bench, bench:api, bench:gateway): the load
 * options they all take, and parseArgs with a usage line instead of a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The load every wrk benchmark can be given; each checks the values' ranges itself. */
export const LOAD_OPTIONS = {
  quick: { type: 'boolean', default: false },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  connections: { type: 'string', default: '64' },
  threads: { type: 'string', default: '2' },
  help: { type: 'boolean', default: false },
} as const satisfies Options;

/**
 * parseArgs, except that a bad command line prints why and the usage and exits 2, and
 * `--help` prints the usage and exits 0. (A value starting with a dash needs `=`.)
 */
export function parseCommandLine<const O extends Options>(options: O, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ options });
  } catch (err) {
    console.error(`${(err as Error).message.split('\n')[0]}\n${usage}`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}
