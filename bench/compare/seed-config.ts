/**
 * The seed stack's own configuration templates (bench/peers/seed-stack/conf), rendered
 * for this benchmark with four changes, none of which touches what is measured:
 *   - ports: every fixed port (8000-8002, 8080, 8081, Redis's 6390) becomes one picked
 *     free at run time, so a benchmark never collides with a running service;
 *   - one process per backend: the seed runs its three "backend servers" as three server
 *     blocks of one nginx and three pools of one php-fpm; here each backend gets its own
 *     nginx and php-fpm (the same block, the same pool), so that one backend can be
 *     SIGKILLed the way one machine of the seed would die;
 *   - one nginx worker per backend: the seed's three server blocks share one nginx's
 *     `worker_processes auto` (2 on this box); three nginx with 2 workers each would
 *     put 6 workers on 2 cores, and measured seed-php ~25 % slower than its baseline
 *     (2,459 against 3,216 req/s with one each, side by side);
 *   - each backend's server block is served twice, on a port with REDIS_MODE connect
 *     (the seed as written) and one with pconnect (its best variant), and passes the
 *     Redis port to kv.php (REDIS_PORT), which otherwise assumes 6390.
 * Pure functions over the template text, so the unit tests can check them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface RenderVars {
  run: string;
  app: string;
  conf: string;
  children: number;
}

/** The seed's render(): its @PLACEHOLDERS@ (MODE is per server block here). */
export function substitute(text: string, v: RenderVars, mode = 'connect'): string {
  return text
    .replaceAll('@RUN@', v.run)
    .replaceAll('@APP@', v.app)
    .replaceAll('@CONF@', v.conf)
    .replaceAll('@CHILDREN@', String(v.children))
    .replaceAll('@MODE@', mode);
}

/** Rewrites `127.0.0.1:<from>` to `127.0.0.1:<to>` for every pair, in one pass. */
export function remapPorts(text: string, ports: Record<number, number>): string {
  return text.replace(/127\.0\.0\.1:(\d+)\b/g, (whole, p: string) => (ports[Number(p)] ? `127.0.0.1:${ports[Number(p)]}` : whole));
}

/** `{ … }` blocks that start with `head` (e.g. "server {"), with their nesting, in order. */
export function blocks(text: string, head: string): Array<{ start: number; end: number; text: string }> {
  const found: Array<{ start: number; end: number; text: string }> = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(head, from);
    if (start < 0) return found;
    let depth = 0;
    let end = start;
    for (let i = text.indexOf('{', start); i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end === start) throw new Error(`unbalanced braces after "${head}" at ${start}`);
    found.push({ start, end, text: text.slice(start, end) });
    from = end;
  }
}

export interface BackendPorts {
  /** The seed's port of this backend (8000, 8001 or 8002): picks its block and pool. */
  seedPort: number;
  connect: number;
  pconnect: number;
  redis: number;
}

/**
 * nginx.conf of one backend: the template's http{} preamble, then that backend's server
 * block twice (connect, pconnect) with its fastcgi socket in this backend's run dir.
 */
export function backendNginxConf(template: string, v: RenderVars, p: BackendPorts): string {
  const server = blocks(template, 'server {').find((b) => b.text.includes(`listen 127.0.0.1:${p.seedPort};`));
  if (!server) throw new Error(`no server block for ${p.seedPort} in the backends template`);
  const first = blocks(template, 'server {')[0]!;
  const preamble = template.slice(0, first.start);
  const withRedisPort = server.text.replace(/(fastcgi_param REDIS_MODE @MODE@;)/, `$1\n            fastcgi_param REDIS_PORT ${p.redis};`);
  const variant = (mode: string, port: number) => remapPorts(substitute(withRedisPort, v, mode), { [p.seedPort]: port });
  return `${substitute(preamble, v).replace('worker_processes auto;', 'worker_processes 1;')}${variant('connect', p.connect)}\n    ${variant('pconnect', p.pconnect)}\n}\n`;
}

/** php-fpm.conf of one backend: [global] and that backend's pool. */
export function backendFpmConf(template: string, v: RenderVars, seedPort: number): string {
  const sections = template.split(/^(?=\[)/m);
  const global = sections.find((s) => s.startsWith('[global]'));
  const pool = sections.find((s) => s.startsWith(`[be${seedPort}]`));
  if (!global || !pool) throw new Error(`no [global] or [be${seedPort}] section in the php-fpm template`);
  return substitute(`${global}${pool}`, v);
}

/**
 * nginx.conf of a front load balancer (the literal or keepalive template): its three
 * upstream servers become `upstreams` (any three ports: PHP backends, kv.js processes,
 * a slow proxy), its listen ports `port` and `staticPort`.
 */
export function lbNginxConf(template: string, v: RenderVars, upstreams: number[], port: number, staticPort: number): string {
  if (upstreams.length !== 3) throw new Error('the seed load balancer has three upstream servers');
  return remapPorts(substitute(template, v), {
    8000: upstreams[0]!,
    8001: upstreams[1]!,
    8002: upstreams[2]!,
    8080: port,
    8081: staticPort,
  });
}

export function readTemplate(seedDir: string, name: string): string {
  return readFileSync(path.join(seedDir, 'conf', name), 'utf8');
}
