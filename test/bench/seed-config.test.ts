/**
 * bench/compare renders the seed stack's own templates with free ports and one process
 * per backend; these check the rendering keeps each template's meaning, and that
 * nginx itself accepts what comes out (`nginx -t`, as CI installs nginx).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  backendFpmConf,
  backendNginxConf,
  blocks,
  lbNginxConf,
  readTemplate,
  remapPorts,
  type RenderVars,
} from '../../bench/compare/seed-config.js';
import { SEED_STACK } from '../../bench/support/processes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-seed-config-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));
const vars: RenderVars = { run: dir, app: path.join(SEED_STACK, 'app'), conf: path.join(SEED_STACK, 'conf'), children: 4 };
for (const sub of ['logs', 'nginx-be', 'nginx-lb']) mkdirSync(path.join(dir, sub), { recursive: true });

function nginxAccepts(conf: string, name: string): void {
  const file = path.join(dir, `${name}.conf`);
  writeFileSync(file, conf);
  execFileSync('nginx', ['-t', '-q', '-p', `${dir}/`, '-c', file, '-e', path.join(dir, 'logs', `${name}.error.log`)], { stdio: 'pipe' });
}

describe('seed stack configuration rendering', () => {
  it('remaps only the listed 127.0.0.1 ports, whole numbers only', () => {
    const text = 'listen 127.0.0.1:8000; server 127.0.0.1:80001; keepalive 8000; proxy 127.0.0.1:8002;';
    assert.equal(
      remapPorts(text, { 8000: 41000, 8002: 41002 }),
      'listen 127.0.0.1:41000; server 127.0.0.1:80001; keepalive 8000; proxy 127.0.0.1:41002;',
    );
  });

  it('finds blocks with nested braces', () => {
    const found = blocks('a { server { location / { x; } } server { y; } }', 'server {');
    assert.deepEqual(
      found.map((b) => b.text),
      ['server { location / { x; } }', 'server { y; }'],
    );
    assert.throws(() => blocks('server { x {', 'server {'), /unbalanced/);
  });

  it('one backend: its own server block twice (connect, pconnect), its socket, the Redis port', () => {
    const conf = backendNginxConf(readTemplate(SEED_STACK, 'nginx-backends.conf.tpl'), vars, {
      seedPort: 8001,
      connect: 41001,
      pconnect: 42001,
      redis: 43000,
    });
    const servers = blocks(conf, 'server {');
    assert.equal(servers.length, 2);
    assert.match(conf, /^worker_processes 1;$/m);
    assert.match(servers[0]!.text, /listen 127\.0\.0\.1:41001;[\s\S]*REDIS_MODE connect;\s+fastcgi_param REDIS_PORT 43000;/);
    assert.match(servers[1]!.text, /listen 127\.0\.0\.1:42001;[\s\S]*REDIS_MODE pconnect;\s+fastcgi_param REDIS_PORT 43000;/);
    for (const s of servers) assert.ok(s.text.includes(`fastcgi_pass unix:${dir}/fpm-8001.sock;`));
    const directives = conf
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n');
    assert.doesNotMatch(directives, /@[A-Z]+@|127\.0\.0\.1:800[0-2]/);
    nginxAccepts(conf, 'backend');
  });

  it("one backend's php-fpm: [global] and that pool only", () => {
    const conf = backendFpmConf(readTemplate(SEED_STACK, 'php-fpm.conf.tpl'), vars, 8002);
    assert.deepEqual(conf.match(/^\[[a-z0-9]+\]/gm), ['[global]', '[be8002]']);
    assert.ok(conf.includes(`listen = ${dir}/fpm-8002.sock`));
    assert.ok(conf.includes('pm.max_children = 4'));
  });

  it('load balancers keep their upstream block and flavour, on new ports', () => {
    for (const flavour of ['literal', 'keepalive']) {
      const conf = lbNginxConf(readTemplate(SEED_STACK, `nginx-lb-${flavour}.conf.tpl`), vars, [41000, 41001, 41002], 44000, 44001);
      const upstream = blocks(conf, 'upstream backend {')[0]!.text;
      assert.deepEqual(upstream.match(/server 127\.0\.0\.1:\d+;/g), [
        'server 127.0.0.1:41000;',
        'server 127.0.0.1:41001;',
        'server 127.0.0.1:41002;',
      ]);
      assert.equal(upstream.includes('keepalive 64;'), flavour === 'keepalive');
      assert.match(conf, /listen 127\.0\.0\.1:44000;/);
      assert.match(conf, /listen 127\.0\.0\.1:44001;/);
      nginxAccepts(conf, `lb-${flavour}`);
    }
    assert.throws(() => lbNginxConf('', vars, [1, 2], 3, 4), /three upstream servers/);
  });
});
