/**
 * deploy/compose.yaml, read structurally (no YAML library; the file keeps to the subset
 * simple-yaml.ts reads): a Redis, at least two app machines each advertising its own
 * service address, and a gateway discovering them on the same store — every command line
 * one the CLI accepts — with only the gateway published.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/processes.js';
import { assertCliAccepts } from './cli-check.js';
import { mapAt, readSimpleYaml, SimpleYamlError, type YamlMap } from './simple-yaml.js';

const FILE = path.join(REPO_ROOT, 'deploy/compose.yaml');
const compose = readSimpleYaml(readFileSync(FILE, 'utf8'));
const services = mapAt(compose, 'services', 'compose.yaml');

function command(name: string): string[] {
  const cmd = services[name] && (services[name] as YamlMap).command;
  assert.ok(Array.isArray(cmd) && cmd.every((w) => typeof w === 'string'), `${name}: command is not a [list] of strings`);
  return cmd;
}

/** The value after `flag` in a command line. */
function flag(cmd: string[], name: string): string | undefined {
  const i = cmd.indexOf(name);
  return i < 0 ? undefined : cmd[i + 1];
}

const miniscale = Object.keys(services).filter((s) => command(s).slice(0, 2).join(' ') === 'node dist/cli.js');
const apps = miniscale.filter((s) => command(s)[2] === 'up');
const gateways = miniscale.filter((s) => command(s)[2] === 'gateway');

/** Compose's ${VAR:-default} and ${VAR:?message} with VAR unset. */
function unsetValue(text: string): string {
  return text.replace(/\$\{\w+:-([^}]*)\}/g, '$1').replace(/\$\{\w+:\?[^}]*\}/g, 'set-by-the-operator');
}

describe('deploy/compose.yaml', () => {
  it('is read by a reader that refuses the YAML it would misread', () => {
    const refused = ['a: &x\n  b: "c"\nd: *x', 'a:\n  - b', 'a: b # c', 'a:\nb: "c"', 'a:\n\tb: "c"', 'a: "b"\na: "c"', 'a: [1,'];
    for (const text of refused) assert.throws(() => readSimpleYaml(text), SimpleYamlError, JSON.stringify(text));
    assert.deepEqual(readSimpleYaml('a:\n  b: ["c", ""]\n  d: e\nf: {}\n'), { a: { b: ['c', ''], d: 'e' }, f: {} });
  });

  it('runs at least two app machines and a gateway, each built from deploy/Dockerfile', () => {
    assert.ok(apps.length >= 2, `app machines: ${apps.join(', ')}`);
    assert.equal(gateways.length, 1, `gateways: ${gateways.join(', ')}`);
    for (const s of miniscale) {
      const build = mapAt(services[s] as YamlMap, 'build', s);
      assert.ok(
        existsSync(path.join(path.dirname(FILE), String(build.context), String(build.dockerfile))),
        `${s}: ${build.context}/${build.dockerfile} does not exist`,
      );
    }
  });

  it('every miniscale command line is one the CLI accepts', async () => {
    const lines = miniscale.map((s) => command(s).slice(2));
    const env = mapAt(services[apps[0]!] as YamlMap, 'environment', apps[0]!);
    await assertCliAccepts(lines, Object.fromEntries(Object.entries(env).map(([k, v]) => [k, unsetValue(String(v))])));
  });

  it('each app machine advertises its own service name on the port it listens on, on a shared store', () => {
    const stores = new Set<string>();
    for (const s of apps) {
      const cmd = command(s);
      const advertised = new URL(flag(cmd, '--advertise') ?? 'http://missing');
      assert.equal(advertised.hostname, s, `${s} advertises ${advertised.hostname}: the gateway could not reach it by that name`);
      assert.equal(advertised.port, flag(cmd, '--port'), `${s} advertises port ${advertised.port} but listens on ${flag(cmd, '--port')}`);
      assert.equal(flag(cmd, '--host'), '0.0.0.0', `${s}: other containers reach it on the container network`);
      stores.add(`${flag(cmd, '--store')} ${flag(cmd, '--store-url')}`);
    }
    assert.equal(stores.size, 1, `the app machines use different stores: ${[...stores].join(' | ')}`);
    const gw = command(gateways[0]!);
    assert.ok(gw.includes('--discover'));
    assert.equal(
      `${flag(gw, '--store')} ${flag(gw, '--store-url')}`,
      [...stores][0],
      'the gateway discovers from another store than the apps register in',
    );
  });

  it('the store URL names a Redis service of this file', () => {
    const url = new URL(flag(command(apps[0]!), '--store-url')!);
    const redis = services[url.hostname] as YamlMap | undefined;
    assert.ok(redis, `no service "${url.hostname}"`);
    assert.match(String(redis.image), /^redis:/);
    assert.ok(Array.isArray(redis.command) && redis.command.includes('--appendonly'), 'Redis runs without its append-only file');
  });

  it('only the gateway is published; every app machine and gateway has the same admin key and time to drain', () => {
    for (const s of Object.keys(services)) {
      const published = (services[s] as YamlMap).ports !== undefined;
      assert.equal(published, gateways.includes(s), `${s} is ${published ? '' : 'not '}published`);
    }
    for (const s of miniscale) {
      const env = mapAt(services[s] as YamlMap, 'environment', s);
      assert.match(
        String(env.MINISCALE_ADMIN_KEY),
        /^\$\{MINISCALE_ADMIN_KEY:\?/,
        `${s}: the admin key must come from the operator, the same for all`,
      );
      const grace = /^(\d+)s$/.exec(String((services[s] as YamlMap).stop_grace_period ?? ''));
      assert.ok(
        grace && Number(grace[1]) >= 20,
        `${s}: stop_grace_period ${(services[s] as YamlMap).stop_grace_period} is under 20 s (Docker's default is 10 s)`,
      );
    }
  });
});
