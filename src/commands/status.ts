/**
 * `miniscale status`: the operator console in a terminal. Reads `GET /_gateway/stats`
 * of a running `up` or gateway and prints the picture the `/_gateway/` page draws, once
 * or, with `--watch`, redrawn every interval until Ctrl-C.
 *
 * Where: `--url`, else the `up` running on `--data` (its DATA/topology.json), else
 * 127.0.0.1 on $MINISCALE_PORT (8080). The admin key (needed only over a non-loopback
 * address): `--admin-key-file`, else $MINISCALE_ADMIN_KEY, else DATA/admin-key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { request } from 'undici';
import { readTopology } from '../local/topology-file.js';
import type { StatsReport } from '../console/stats-types.js';
import { renderStatus } from '../console/status-text.js';
import { portFromEnv } from '../core/public-port.js';
import { ConfigError, StatsRefusedError, StatsUnreachableError } from '../core/errors.js';
import { seconds } from './cli-options.js';

interface StatusFlags {
  url?: string;
  data: string;
  adminKeyFile?: string;
  watch?: boolean;
  interval: number;
  json?: boolean;
}

const REQUEST_TIMEOUT_MS = 5_000;
/** Clears the screen and homes the cursor, so each redraw replaces the last. */
const CLEAR = '\u001b[2J\u001b[H';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show what each worker or upstream is doing now (the /_gateway/ console, in the terminal)')
    .option('--url <url>', 'the running `up` or gateway (default: the `up` on --data, else http://127.0.0.1:$MINISCALE_PORT)', baseUrl)
    .option('--data <dir>', 'data directory of a running `miniscale up` (its URL and admin key)', './data')
    .option(
      '--admin-key-file <path>',
      'file holding the admin key, for a non-loopback --url (default: $MINISCALE_ADMIN_KEY, else DATA/admin-key)',
    )
    .option('--watch', 'redraw every --interval until Ctrl-C')
    .option('--interval <s>', 'seconds between redraws with --watch', seconds('--interval', 0.2, 3600), 1)
    .option('--json', 'print the raw GET /_gateway/stats answer instead')
    .action(async (flags: StatusFlags) => {
      const url = flags.url ?? readTopology(flags.data)?.url ?? `http://127.0.0.1:${portFromEnv()}`;
      const key = adminKey(flags);
      const show = async () => {
        const report = await readStats(url, key);
        return flags.json ? `${JSON.stringify(report)}\n` : renderStatus(report, url);
      };
      if (!flags.watch) {
        process.stdout.write(await show());
        return;
      }
      for (;;) {
        process.stdout.write(CLEAR + (await show()));
        await sleep(flags.interval * 1000);
      }
    });
}

async function readStats(base: string, key: string | undefined): Promise<StatsReport> {
  const where = `${base}/_gateway/stats`;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(where, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
  } catch (err) {
    throw new StatsUnreachableError(`cannot reach ${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const text = await res.body.text();
  if (res.statusCode === 403)
    throw new StatsRefusedError(`${where} refused: not a loopback address; give --admin-key-file (or $MINISCALE_ADMIN_KEY)`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const report = body as StatsReport | undefined;
  if (res.statusCode !== 200 || !report || !Array.isArray(report.rows) || !Array.isArray(report.t)) {
    throw new StatsUnreachableError(`${where} answered ${res.statusCode}, not the stats of a Miniscale gateway or \`up\``);
  }
  return report;
}

function adminKey(flags: StatusFlags): string | undefined {
  if (flags.adminKeyFile) {
    try {
      return readFileSync(flags.adminKeyFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`--admin-key-file: cannot read ${flags.adminKeyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (process.env.MINISCALE_ADMIN_KEY) return process.env.MINISCALE_ADMIN_KEY;
  try {
    return readFileSync(path.join(flags.data, 'admin-key'), 'utf8').trim() || undefined;
  } catch {
    return undefined; // none kept there: loopback access needs none
  }
}

function baseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidArgumentError('--url must be an http:// URL, like http://127.0.0.1:8080');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError('--url must be an http:// or https:// URL');
  return u.origin;
}
