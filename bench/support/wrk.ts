/**
 * Runs wrk and reads its report. wrk's own latency percentiles are corrected for
 * coordinated omission (see request-timing.lua); with `timeRequests` the run also times
 * every request on the client, uncorrected, for upstreams that echo `X-Bench-Sent`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTracked, tempDir } from './processes.js';

const TIMING = fileURLToPath(new URL('./request-timing.lua', import.meta.url));
const TAIL = fileURLToPath(new URL('./tail-latency.lua', import.meta.url));

/**
 * Lua for a request script: seeds each wrk thread's random numbers apart (wrk runs a
 * Lua state per thread; seeded alike they would send the same keys), as the seed
 * stack's own scripts do.
 */
export const THREAD_SEEDING_LUA = `local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
end
`;

export interface RequestTimes {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Answers that carried the echoed stamp, and those that did not (the balancer's own error pages). */
  timed: number;
  untimed: number;
}

export interface WrkResult {
  requests: number;
  rps: number;
  /** wrk's percentiles: corrected for coordinated omission. */
  p50Ms: number;
  p99Ms: number;
  /** wrk's histogram's p99.9 (same correction as p50/p99). */
  p999Ms: number;
  /** Answers with a status ≥ 400 ("Non-2xx or 3xx responses"). */
  badStatus: number;
  /** connect + read + write + timeout. */
  socketErrors: number;
  /** Client-side times of the requests wrk sent (`timeRequests` only). */
  times?: RequestTimes;
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSec: number;
  /** A wrk Lua script (request generation); none: GET of `url`. */
  script?: string;
  env?: Record<string, string>;
  timeRequests?: boolean;
  /** Called with wrk's PID once it runs (to sample its CPU). */
  onStart?: (pid: number) => void;
}

export function wrk(o: WrkOptions): Promise<WrkResult> {
  const script = wrapScript(o.script, o.timeRequests ? [TIMING, TAIL] : [TAIL]);
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationSec}s`,
    '--latency',
    '--timeout',
    '10s',
    ...(script ? ['-s', script] : []),
    o.url,
  ];
  return new Promise((resolve, reject) => {
    const child = startTracked('wrk', args, { env: { ...process.env, ...o.env } });
    if (child.pid !== undefined) o.onStart?.(child.pid);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', (err) => reject(new Error(`wrk: ${err.message} (apt-get install -y wrk)`)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      try {
        resolve(parseWrk(out));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** A script that runs `script` (if any), then each of `wrappers` around it. */
function wrapScript(script: string | undefined, wrappers: string[]): string {
  const file = path.join(tempDir('miniscale-bench-wrk-'), 'wrapped.lua');
  writeFileSync(file, [...(script ? [script] : []), ...wrappers].map((f) => `dofile(${JSON.stringify(f)})\n`).join(''));
  return file;
}

function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const result: WrkResult = {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: latencyMs(out, '50%'),
    p99Ms: latencyMs(out, '99%'),
    p999Ms: Number(/^tail-latency p99\.9 (\d+)$/m.exec(out)?.[1] ?? NaN) / 1000,
    badStatus: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0,
  };
  if (!result.requests) throw new Error(`could not read wrk's report:\n${out}`);
  if (out.includes('request-latency timed')) {
    const us = (name: string) => Number(new RegExp(`^request-latency ${name.replace('.', '\\.')} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
    result.times = {
      p50Ms: us('p50') / 1000,
      p90Ms: us('p90') / 1000,
      p99Ms: us('p99') / 1000,
      p999Ms: us('p99.9') / 1000,
      timed: us('timed'),
      untimed: us('untimed'),
    };
  }
  return result;
}

function latencyMs(out: string, pct: string): number {
  const m = new RegExp(`^\\s+${pct}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}
