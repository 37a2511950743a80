/**
 * `miniscale gateway` as a user runs it: bad flags and settings are one-line usage
 * errors with exit code 2, and a good command line proxies traffic.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { Command, CommanderError } from 'commander';
import { registerGatewayCommand } from '../../src/commands/gateway.js';
import { isMiniscaleError } from '../../src/core/errors.js';
import { finished, killAll, runTs, spawnTs } from '../support/processes.js';
import { startUpstream } from './helpers.js';

const BAD: Array<[string, string[], RegExp]> = [
  ['no upstream at all', [], /--upstream/],
  ['an upstream that is not http', ['--upstream', 'ftp://127.0.0.1:1'], /http:\/\//],
  ['an upstream with a path', ['--upstream', 'http://127.0.0.1:1/api'], /no path/],
  ['an unknown algorithm', ['--upstream', 'http://127.0.0.1:1', '--algorithm', 'random'], /algorithm/],
  ['a port out of range', ['--upstream', 'http://127.0.0.1:1', '--port', '70000'], /--port/],
  ['a bad hash key', ['--upstream', 'http://127.0.0.1:1', '--algorithm', 'hash', '--hash-key', 'cookie:sid'], /--hash-key/],
  ['a hash key without hash', ['--upstream', 'http://127.0.0.1:1', '--hash-key', 'ip'], /--hash-key/],
  ['a bad trust-proxy CIDR', ['--upstream', 'http://127.0.0.1:1', '--trust-proxy', '10.0.0.0/40'], /--trust-proxy/],
  ['a negative timeout', ['--upstream', 'http://127.0.0.1:1', '--try-timeout', '-5'], /--try-timeout/],
  ['store flags without --discover', ['--upstream', 'http://127.0.0.1:1', '--store', 'redis'], /--discover/],
  ['a missing admin key file', ['--upstream', 'http://127.0.0.1:1', '--admin-key-file', '/nonexistent/key'], /admin-key-file/],
  ['an unknown flag', ['--upstream', 'http://127.0.0.1:1', '--bogus'], /bogus/],
  ['zero workers', ['--upstream', 'http://127.0.0.1:1', '--workers', '0'], /--workers/],
  ['workers that are not a number', ['--upstream', 'http://127.0.0.1:1', '--workers', 'many'], /--workers/],
  ['a bad setting with several workers (checked before forking)', ['--upstream', 'ftp://127.0.0.1:1', '--workers', '2'], /http:\/\//],
];

describe('miniscale gateway (CLI)', () => {
  after(() => killAll());

  // Each real `miniscale` process costs ~2 s of CPU to start on this machine, so three
  // kinds of failure go through the real CLI (commander's own check, a choices check,
  // the gateway's option check) and the whole table through the same command in-process.
  it('exits 2 with one line for a bad flag or setting (real process)', async () => {
    const picked = [BAD[0]!, BAD[3]!, BAD[11]!];
    const results = await Promise.all(picked.map(([, args]) => runTs('src/cli.ts', ['gateway', '--port', '0', ...args], 60_000)));
    picked.forEach(([what, , pattern], i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
      assert.match(lines[0]!, pattern, what);
    });
  });

  it('refuses every bad flag or setting before listening, as a usage error', async () => {
    for (const [what, args, pattern] of BAD) {
      const program = new Command('miniscale').exitOverride();
      registerGatewayCommand(program);
      for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
      const err = await program.parseAsync(['node', 'miniscale', 'gateway', '--port', '0', ...args]).then(
        () => undefined,
        (e: unknown) => e,
      );
      // The two kinds main() turns into exit code 2.
      const usage = err instanceof CommanderError || (isMiniscaleError(err) && err.code === 'CONFIG_INVALID');
      assert.ok(usage, `${what}: ${String(err)}`);
      assert.match((err as Error).message, pattern, what);
    }
  });

  it('proxies with the flags it was given and stops on SIGINT', async () => {
    const up = await startUpstream('cli-u0');
    const child = spawnTs(
      'src/cli.ts',
      ['gateway', '--port', '0', '--host', '127.0.0.1', '--upstream', up.url, '--algorithm', 'round-robin', '--no-access-log'],
      { MINISCALE_LOG_LEVEL: 'warn' },
    );
    const done = finished(child, 30_000);
    const url = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
    });
    const res = await request(`${url}/`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-upstream-id'], 'cli-u0');
    await res.body.dump();
    const admin = (await (await request(`${url}/_gateway/upstreams`)).body.json()) as { algorithm: string };
    assert.equal(admin.algorithm, 'round-robin');
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
  });
});
