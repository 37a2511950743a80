/**
 * The record a fault run is judged on, Jepsen-style: every operation a client issued,
 * with what it expected to do and what it saw. An operation is `ok` (2xx: it happened),
 * `fail` (a definite 4xx, or a connection refused before anything was sent: it did not
 * happen) or `unknown` (a timeout, a reset, a 5xx: it may have happened, now or later).
 * Nemesis actions are recorded in the same history, so the checker can tell which
 * operations overlapped a fault.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type OpType = 'put' | 'get' | 'cas' | 'incr';
export type OpStatus = 'ok' | 'fail' | 'unknown';

export interface Op {
  type: OpType;
  /** The client (worker) that issued it; each worker runs one operation at a time. */
  worker: string;
  key: string;
  /** put: the value written. cas: the id appended. incr: 1. get: absent. */
  value?: number;
  status: OpStatus;
  /** get: the value read (null = 404). cas: the list it read before writing. */
  read?: number | null | number[];
  /** ms since the run started. */
  start: number;
  end: number;
  http?: number;
  error?: string;
  nodeId?: string;
}

export interface FaultEvent {
  kind: string;
  detail: string;
  /** ms since the run started; `end` when the fault was healed (or the victim back). */
  start: number;
  end?: number;
  /** ms from the fault until the system served the affected operations again. */
  recoveredMs?: number;
  /** Operations overlapping [start, (excludeUntil ?? end) + grace] are left out of the availability figure. */
  excludeFromAvailability: boolean;
  /** The end of the outage when it is shorter than the fault (a killed node is routed around at once). */
  excludeUntil?: number;
}

export class History {
  readonly t0 = Date.now();
  readonly ops: Op[] = [];
  readonly faults: FaultEvent[] = [];

  now(): number {
    return Date.now() - this.t0;
  }

  add(op: Op): void {
    this.ops.push(op);
  }

  fault(kind: string, detail: string, excludeFromAvailability: boolean): FaultEvent {
    const event: FaultEvent = { kind, detail, start: this.now(), excludeFromAvailability };
    this.faults.push(event);
    return event;
  }

  /**
   * Writes the whole history as JSON lines — `meta` (the final state and the verdict,
   * when known) first, then the faults, then every operation — and returns the path.
   */
  save(name: string, meta?: unknown): string {
    const dir = process.env.MINISCALE_FAULTS_ARTIFACTS ?? path.join(os.tmpdir(), 'miniscale-faults');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '')}.jsonl`);
    const lines = [
      ...(meta === undefined ? [] : [JSON.stringify({ meta }, (_, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))]),
      ...this.faults.map((f) => JSON.stringify({ fault: f })),
      ...this.ops.map((o) => JSON.stringify(o)),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }
}
