/**
 * The processes of the gateway benchmark, all on free 127.0.0.1 ports: three upstreams
 * (the gateway tests' knob-driven server, so scenario (b) can slow one down and (c) can
 * SIGKILL one), the BUILT gateway (`node dist/cli.js gateway`), and nginx with its own
 * config, pid, logs and temp paths in a temp dir. All tracked by ../support/processes.ts.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { freePort } from '../../src/core/ports.js';
import { CLI, REPO, requireBuilt, startTracked, tempDir, waitForLine } from '../support/processes.js';

export interface Upstream {
  id: string;
  port: number;
  url: string;
  child: ChildProcess;
}

/**
 * The upstream's keep-alive timeout is the Node default the tests use (5 s, announced as
 * `Keep-Alive: timeout=5`): the gateway's pool gives idle sockets up 2 s before that.
 */
export async function startUpstream(id: string, port?: number): Promise<Upstream> {
  const p = port ?? (await freePort());
  const child = startTracked(
    process.execPath,
    ['--import', 'tsx', path.join(REPO, 'test/gateway/upstream-server.ts'), '--id', id, '--port', String(p)],
    { cwd: REPO },
  );
  await waitForLine(child, /"listening"/, `upstream ${id}`);
  return { id, port: p, url: `http://127.0.0.1:${p}`, child };
}

export async function setLatency(u: Upstream, latencyMs: number): Promise<void> {
  const res = await request(`${u.url}/_knobs`, { method: 'POST', body: JSON.stringify({ latencyMs }) });
  await res.body.dump();
}

export interface Balancer {
  url: string;
  child: ChildProcess;
}

export async function startGateway(upstreams: Upstream[], opts: { cpuProfDir?: string; extraArgs?: string[] } = {}): Promise<Balancer> {
  requireBuilt('bench:gateway');
  const port = await freePort();
  const node = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const args = [
    ...node,
    CLI,
    'gateway',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--no-access-log',
    ...upstreams.flatMap((u) => ['--upstream', u.url]),
    ...(opts.extraArgs ?? []),
  ];
  const child = startTracked(process.execPath, args, { cwd: REPO, env: { ...process.env, MINISCALE_LOG_LEVEL: 'warn' } });
  await waitForLine(child, /"event":"listening"/, 'gateway');
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * nginx as the seed's load balancer (the seed stack's nginx-lb-keepalive.conf.tpl):
 * round-robin over the same upstreams, `keepalive 64`, HTTP/1.1 and an empty Connection
 * header to them, `worker_processes auto`, no access log. Only the paths and ports differ.
 */
export async function startNginx(upstreams: Upstream[]): Promise<Balancer> {
  const bin = ['/usr/sbin/nginx', 'nginx'].find((b) => !spawnSync(b, ['-v']).error);
  if (!bin) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const dir = tempDir('miniscale-bench-nginx-');
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, sub));
  const port = await freePort();
  // As root, nginx would run its workers as `nobody`, who cannot use our 0700 temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `${user}worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
    upstream backend {
${upstreams.map((u) => `        server 127.0.0.1:${u.port};`).join('\n')}
        keepalive 64;
    }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`,
  );
  const child = startTracked(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    try {
      await (await request(url)).body.dump();
      return { url, child };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const log = existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : '';
  throw new Error(`nginx did not start: ${stderr}${log}`.slice(0, 2000));
}
