/** The printed markdown table, its targets, and the JSON file. */
import { fmt, median, printMarkdownTable, ratio } from '../support/table.js';
import type { WrkResult } from '../support/wrk.js';

export const PEER = 'peer kv.js (node + ioredis)';
export const EMBEDDED = 'miniscale node, embedded';
export const REDIS = 'miniscale node, redis';
export type Subject = typeof PEER | typeof EMBEDDED | typeof REDIS;
/** The peer's write is its SET (POST /kv/set, form body); Miniscale's is PUT /v1/me/kv/:key. */
export type Op = 'read' | 'write';
/** Issue 15 (the node is the whole cost of a request on one machine): embedded GET ≥ 0.9× the peer's req/s… */
export const GET_RPS_TARGET = 0.9;
/** …at ≤ 1.1× the peer's server CPU per request. */
export const GET_CPU_TARGET = 1.1;

export interface Row extends WrkResult {
  round: number;
  subject: Subject;
  op: Op;
  /** What the node's own /metrics counted on the kv route during the run (Miniscale only). */
  served?: { total: number; non2xx: number; byStatus: Record<string, number> };
  /** CPU cores used during the run: the server process, and redis-server where one is used. */
  serverCores: number | null;
  redisCores: number | null;
  /** Share of all CPU used by other processes in the second before the run (null off Linux). */
  foreignCpu: number | null;
}

export interface Summary {
  subject: Subject;
  op: Op;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Summed over rounds: non-2xx answers (the node's own count for Miniscale, wrk's for the peer) and socket errors. */
  non2xx: number;
  socketErrors: number;
  requests: number;
  serverCores: number | null;
  redisCores: number | null;
}

export function opLabel(subject: Subject, op: Op): string {
  if (subject === PEER) return op === 'read' ? 'GET /kv?key=' : 'SET (POST /kv/set)';
  return op === 'read' ? 'GET /v1/me/kv/:key' : 'PUT /v1/me/kv/:key';
}

/** Non-2xx answers of one run: the node's own count when there is one (exact), else wrk's (statuses ≥ 400). */
export function non2xxOf(r: Row): number {
  return r.served ? Math.max(r.served.non2xx, r.badStatus) : r.badStatus;
}

const medianOrNull = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};

export function summarize(rows: Row[]): Summary[] {
  const out: Summary[] = [];
  for (const subject of [PEER, EMBEDDED, REDIS] as Subject[]) {
    for (const op of ['read', 'write'] as Op[]) {
      const rs = rows.filter((r) => r.subject === subject && r.op === op);
      if (rs.length === 0) continue;
      out.push({
        subject,
        op,
        rps: median(rs.map((r) => r.rps)),
        p50Ms: median(rs.map((r) => r.p50Ms)),
        p99Ms: median(rs.map((r) => r.p99Ms)),
        non2xx: rs.reduce((s, r) => s + non2xxOf(r), 0),
        socketErrors: rs.reduce((s, r) => s + r.socketErrors, 0),
        requests: rs.reduce((s, r) => s + r.requests, 0),
        serverCores: medianOrNull(rs.map((r) => r.serverCores)),
        redisCores: medianOrNull(rs.map((r) => r.redisCores)),
      });
    }
  }
  return out;
}

export function printTable(summaries: Summary[], rounds: number): void {
  const peer = (op: Op) => summaries.find((s) => s.subject === PEER && s.op === op);
  const head = [
    'server',
    'request',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'socket errors',
    'req/s ÷ peer',
    'CPU cores (server + redis)',
    'server CPU µs/req',
  ];
  const right = [false, false, true, true, true, true, true, true, false, true];
  const body = summaries.map((s) => {
    const p = s.subject === PEER ? undefined : peer(s.op);
    const cores =
      s.serverCores === null ? 'n/a' : `${s.serverCores.toFixed(2)}${s.redisCores === null ? '' : ` + ${s.redisCores.toFixed(2)}`}`;
    const us = cpuPerRequestUs(s);
    const perReq = us === null ? 'n/a' : fmt(us, 0);
    return [
      s.subject,
      opLabel(s.subject, s.op),
      fmt(s.rps, 0),
      fmt(s.p50Ms, 2),
      fmt(s.p99Ms, 2),
      `${s.non2xx} of ${s.requests}`,
      String(s.socketErrors),
      p ? ratio(s.rps, p.rps) : '—',
      cores,
      perReq,
    ];
  });
  console.log(rounds > 1 ? `medians of ${rounds} interleaved rounds; non-2xx and socket errors summed over them\n` : '');
  printMarkdownTable(head, body, right);
}

export interface Verdict {
  /** Median over rounds of (embedded GET req/s ÷ peer GET req/s), each pair measured in the same round. */
  ratio: number;
  perRound: number[];
  /** Median over rounds of (embedded GET server CPU per request ÷ the peer's), null without CPU readings. */
  cpuRatio: number | null;
  cpuPerRound: number[];
  pass: boolean;
  /** False when any run had a non-2xx answer or a socket error: its numbers do not count. */
  valid: boolean;
}

/** Server CPU per request of one run, in µs (null without a CPU reading). */
export function cpuPerRequestUs(r: Pick<Row, 'serverCores' | 'rps'>): number | null {
  return r.serverCores === null || !(r.rps > 0) ? null : (r.serverCores / r.rps) * 1e6;
}

export function verdict(rows: Row[]): Verdict | undefined {
  const rounds = [...new Set(rows.map((r) => r.round))];
  const pairs = rounds.flatMap((round) => {
    const e = rows.find((r) => r.round === round && r.subject === EMBEDDED && r.op === 'read');
    const p = rows.find((r) => r.round === round && r.subject === PEER && r.op === 'read');
    return e && p && p.rps > 0 ? [{ e, p }] : [];
  });
  if (pairs.length === 0) return undefined;
  const perRound = pairs.map(({ e, p }) => e.rps / p.rps);
  const cpuPerRound = pairs.flatMap(({ e, p }) => {
    const [ec, pc] = [cpuPerRequestUs(e), cpuPerRequestUs(p)];
    return ec !== null && pc !== null && pc > 0 ? [ec / pc] : [];
  });
  const ratio = median(perRound);
  const cpuRatio = cpuPerRound.length ? median(cpuPerRound) : null;
  const valid = rows.every((r) => non2xxOf(r) === 0 && r.socketErrors === 0);
  return {
    ratio,
    perRound,
    cpuRatio,
    cpuPerRound,
    pass: valid && ratio >= GET_RPS_TARGET && cpuRatio !== null && cpuRatio <= GET_CPU_TARGET,
    valid,
  };
}

export function printVerdict(v: Verdict | undefined, rows: Row[]): void {
  if (!v) return;
  const list = (xs: number[]) => xs.map((r) => `${r.toFixed(2)}×`).join(', ');
  console.log(`
targets: embedded node GET, with auth, versions and validation, ≥ ${GET_RPS_TARGET}× the peer's GET req/s at ≤ ${GET_CPU_TARGET}× its server CPU per request`);
  console.log(`  ${v.ratio >= GET_RPS_TARGET ? 'MET ' : 'MISS'}  req/s ${v.ratio.toFixed(2)}× (per round: ${list(v.perRound)})`);
  console.log(
    `  ${v.cpuRatio !== null && v.cpuRatio <= GET_CPU_TARGET ? 'MET ' : 'MISS'}  CPU per request ${v.cpuRatio === null ? 'n/a' : `${v.cpuRatio.toFixed(2)}×`} (per round: ${list(v.cpuPerRound)})`,
  );
  console.log(`  ${v.pass ? 'PASS' : 'MISS'}`);
  if (!v.valid) {
    console.log('  INVALID: some runs had errors; they are listed below and the numbers do not count');
    for (const r of rows.filter((x) => non2xxOf(x) > 0 || x.socketErrors > 0)) {
      console.log(
        `    round ${r.round} ${r.subject} ${r.op}: non-2xx ${non2xxOf(r)} ${r.served ? JSON.stringify(r.served.byStatus) : ''}, socket errors ${r.socketErrors}`,
      );
    }
  }
}
