/**
 * deploy/systemd: each unit passes `systemd-analyze verify` (where it exists) and has
 * the shape Miniscale needs — SIGTERM to stop, time to drain, an absolute ExecStart whose
 * `miniscale` command line (with the example EnvironmentFile's values) the CLI accepts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/processes.js';
import { assertCliAccepts, shellWords } from './cli-check.js';

const DIR = path.join(REPO_ROOT, 'deploy/systemd');
const UNITS = readdirSync(DIR)
  .filter((f) => f.endsWith('.service'))
  .sort();
const ENV_EXAMPLE = path.join(DIR, 'miniscale.env.example');
/** `up` drains its workers within 15 s of SIGTERM, after 2.5 s of announcing the drain. */
const MIN_STOP_SECONDS = 20;

type Sections = Map<string, Map<string, string[]>>;

/** A unit file's sections, each key's values in order (a key may repeat). */
function readUnit(text: string): Sections {
  const sections: Sections = new Map();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    assert.ok(kv && current, `not a key=value line inside a section: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

function readEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** systemd's substitution in ExecStart: ${VAR} and $VAR from the environment. */
function substitute(line: string, env: Record<string, string>): string {
  return line.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    assert.ok(name in env, `ExecStart uses $${name}, which ${path.basename(ENV_EXAMPLE)} does not set`);
    return env[name]!;
  });
}

/** systemd time spans as TimeoutStopSec takes them: 30, 30s, 1min 30s, 2m. */
function seconds(span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const part of span.trim().split(/\s+/)) {
    const m = /^(\d+)([a-z]*)$/.exec(part);
    assert.ok(m && m[2]! in units, `TimeoutStopSec=${span}: not a time span`);
    total += Number(m[1]) * units[m[2]!]!;
  }
  return total;
}

const env = readEnvFile(readFileSync(ENV_EXAMPLE, 'utf8'));

describe('deploy/systemd', () => {
  it('ships a unit for the app machines and one for the gateways', () => {
    assert.deepEqual(UNITS, ['miniscale-gateway.service', 'miniscale-up.service']);
  });

  it('the example EnvironmentFile sets what every machine needs, with writes waiting for a replica', () => {
    for (const name of ['MINISCALE_WECHAT_APPID', 'MINISCALE_WECHAT_SECRET', 'MINISCALE_ADMIN_KEY'])
      assert.ok(env[name], `${name} is not set`);
    assert.equal(env.MINISCALE_STORE_WAIT_REPLICAS, '1');
  });

  for (const file of UNITS) {
    describe(file, () => {
      const unit = readUnit(readFileSync(path.join(DIR, file), 'utf8'));
      const service = unit.get('Service') ?? new Map<string, string[]>();
      const one = (key: string): string | undefined => service.get(key)?.at(-1);

      it('has [Unit], [Service] and [Install], wanted by multi-user.target after the network is up', () => {
        assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install']);
        assert.equal(unit.get('Install')!.get('WantedBy')?.[0], 'multi-user.target');
        assert.match(unit.get('Unit')!.get('After')?.join(' ') ?? '', /network-online\.target/);
      });

      it('stops with SIGTERM and gives the drain at least 20 s', () => {
        assert.equal(one('KillSignal'), 'SIGTERM');
        const timeout = one('TimeoutStopSec');
        assert.ok(timeout, "no TimeoutStopSec: the default (90 s) depends on the machine's settings");
        assert.ok(seconds(timeout) >= MIN_STOP_SECONDS, `TimeoutStopSec=${timeout} is under ${MIN_STOP_SECONDS} s`);
        assert.equal(one('KillMode'), 'mixed', 'SIGTERM to the main process alone: it stops its workers in order');
      });

      it('runs as an unprivileged user with the EnvironmentFile', () => {
        const user = one('User');
        assert.ok(user && user !== 'root' && user !== '0', `User=${user}`);
        assert.equal(path.basename(one('EnvironmentFile') ?? ''), path.basename(ENV_EXAMPLE, '.example'));
      });

      it('ExecStart is an absolute path running dist/cli.js with a command line the CLI accepts', async () => {
        const exec = service.get('ExecStart');
        assert.equal(exec?.length, 1, 'one ExecStart');
        const words = shellWords(substitute(exec[0]!, env));
        assert.ok(path.isAbsolute(words[0]!), `ExecStart starts with ${words[0]}, not an absolute path`);
        assert.match(words[1]!, /^\/.*\/dist\/cli\.js$/);
        const args = words.slice(2);
        assert.equal(args[0], file === 'miniscale-up.service' ? 'up' : 'gateway');
        assert.ok(args.includes(file === 'miniscale-up.service' ? '--advertise' : '--discover'), 'the several-machines flag is missing');
        await assertCliAccepts([args], env);
      });

      it(
        'passes systemd-analyze verify',
        { skip: spawnSync('systemd-analyze', ['--version']).status === 0 ? false : 'no systemd-analyze here' },
        () => {
          const r = spawnSync('systemd-analyze', ['verify', path.join(DIR, file)], { encoding: 'utf8', timeout: 30_000 });
          // verify also talks about other units of this machine; only lines about this one count.
          const ours = r.stderr.split('\n').filter((l) => l.includes(file));
          assert.deepEqual(ours, [], `systemd-analyze verify ${file}:\n${r.stderr}`);
          assert.equal(r.status, 0, r.stderr);
        },
      );
    });
  }
});
