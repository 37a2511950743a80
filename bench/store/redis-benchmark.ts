/**
 * The peer: redis-benchmark against the same redis-server the redis driver used, in the
 * same run and on the same cores. Its --csv output gives req/s, p50 and p99 per test.
 */
import { execFile } from 'node:child_process';
import { findBinary } from '../../src/redis-launcher/redis-server.js';

export interface PeerRow {
  test: string;
  pipeline: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export async function redisBenchmark(port: number, requests: number, pipeline: number): Promise<PeerRow[]> {
  const binary = findBinary('redis-benchmark', 'apt-get install -y redis-tools');
  // 50 clients like the driver's 50 calls in flight; 10,000 random keys of 100 bytes like its data set.
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-c',
    '50',
    '-n',
    String(requests),
    '-t',
    'set,get',
    '-d',
    '100',
    '-r',
    '10000',
    '-P',
    String(pipeline),
    '--csv',
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(binary, args, { timeout: 120_000 }, (err, out, errOut) =>
      err ? reject(new Error(`redis-benchmark failed: ${err.message} ${errOut}`)) : resolve(out),
    );
  });
  const rows: PeerRow[] = [];
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const [test, rps, , , p50, , p99] = cells;
    if (!test || test === 'test' || rps === undefined) continue;
    rows.push({ test, pipeline, opsPerSec: Number(rps), p50Ms: Number(p50), p99Ms: Number(p99) });
  }
  if (rows.length === 0) throw new Error(`could not parse redis-benchmark output: ${stdout.slice(0, 200)}`);
  return rows;
}
