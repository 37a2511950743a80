/**
 * The primary's side of N node:cluster workers serving one port: one owner for the
 * workers' lives, shared by `miniscale up` (API node workers) and `miniscale gateway
 * --workers` (gateway workers). It
 *
 * - forks one worker per slot and knows each one's state: starting, serving, stalled
 *   (missed heartbeats), retiring (being replaced or stopped on purpose);
 * - restarts a worker that dies with the shared back-off (backoff.ts);
 * - replaces a worker that stays stalled (a stuck event loop, SIGSTOP) — node:cluster's
 *   round-robin hands a connection only to a worker that acknowledged the last one, so
 *   a stalled worker takes at most one more; killing it frees its slot;
 * - replaces every worker one at a time (a rolling restart): the new one serves before
 *   the old one is told to drain;
 * - carries the ask/answer protocol (protocol.ts): a worker's question to the primary,
 *   and the primary's fan-out to every serving worker.
 *
 * node:cluster has one primary per process, so a process has at most one fleet.
 */
import cluster, { type Worker } from 'node:cluster';
import { createInterface } from 'node:readline';
import { WorkerStartError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import { RestartBackoff } from '../core/backoff.js';
import { isToPrimary, type ToPrimary, type ToWorker } from './protocol.js';

export interface FleetOptions<Info> {
  count: number;
  /** For logs: "gateway worker", "node worker". */
  label: string;
  log: Logger;
  /** Environment of a worker forked into `slot` (0-based), read at every fork. */
  env(slot: number): NodeJS.ProcessEnv;
  /** How long a worker may take to say `ready`. @default 30_000 */
  readyTimeoutMs?: number;
  /** How long a retiring worker may take to exit after SIGTERM before SIGKILL. */
  stopGraceMs: number;
  /** No heartbeat for this long (three missed beats): stalled. @default 1_500 */
  stallAfterMs?: number;
  /** No heartbeat for this long: killed, and its slot restarted. @default 10_000 */
  killStalledAfterMs?: number;
  /** Each line a worker prints, when workers are forked with `silent` output. */
  onOutputLine?(line: string): void;
  /** A worker asked the primary something. */
  onAsk?(op: unknown, from: FleetMember<Info>): Promise<unknown>;
  /** A worker now serves (first start, restart or replacement). */
  onReady?(member: FleetMember<Info>): void;
  /** Membership or a state changed. */
  onChange?(): void;
}

export type MemberState = 'starting' | 'serving' | 'stalled' | 'retiring';

export interface FleetMember<Info> {
  readonly slot: number;
  readonly worker: Worker;
  readonly pid: number;
  /** What the worker said when it became ready. */
  info?: Info;
  readyAt?: number;
  state: MemberState;
  /** Restarts of its slot after crashes (not replacements). */
  readonly restarts: number;
  /** What its latest heartbeat reported (the workers' program decides what). */
  report?: unknown;
}

interface Member<Info> extends FleetMember<Info> {
  lastBeat: number;
  ready: Promise<void>;
  settleReady(err?: Error): void;
}

interface Slot<Info> {
  index: number;
  current?: Member<Info>;
  backoff: RestartBackoff;
  timer?: NodeJS.Timeout;
}

/** How long the primary waits for every worker's part of a fan-out. */
export const FANOUT_TIMEOUT_MS = 5_000;
const STALL_CHECK_MS = 250;

export class WorkerFleet<Info = unknown> {
  readonly #o: FleetOptions<Info>;
  readonly #slots: Slot<Info>[];
  readonly #members = new Map<Worker, Member<Info>>();
  readonly #waits = new Map<number, { asked: Set<Member<Info>>; results: Map<Member<Info>, unknown>; done: () => void }>();
  #nextId = 1;
  #stopping = false;
  /** start() has resolved: from now on a worker that dies is restarted, not a failed start. */
  #started = false;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(o: FleetOptions<Info>) {
    this.#o = o;
    this.#slots = Array.from({ length: o.count }, (_, index) => ({ index, backoff: new RestartBackoff() }));
    cluster.on('message', (worker, m: unknown) => {
      const member = this.#members.get(worker);
      if (member && isToPrimary(m)) this.#onMessage(member, m);
    });
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
  }

  /**
   * Forks every worker; resolves true once all serve, false if stop() came first, and
   * rejects with a WorkerStartError (having stopped the rest) if one fails to start.
   */
  async start(): Promise<boolean> {
    this.#stallTimer = setInterval(() => this.#checkStalls(), STALL_CHECK_MS);
    this.#stallTimer.unref();
    const members = this.#slots.map((slot) => this.#fork(slot));
    try {
      await Promise.all(members.map((m) => m.ready));
      this.#started = true;
    } catch (err) {
      await this.stop();
      if (err instanceof WorkerStartError && err.exitCode === -1) return false;
      throw err;
    }
    return !this.#stopping;
  }

  /** Every worker alive, retiring ones included. */
  members(): FleetMember<Info>[] {
    return [...this.#members.values()];
  }

  /** Workers that take connections now (serving, or stalled but not yet replaced). */
  serving(): FleetMember<Info>[] {
    return this.members().filter((m) => m.state === 'serving' || m.state === 'stalled');
  }

  pids(): number[] {
    return this.members().map((m) => m.pid);
  }

  /** Sends `op` to `to` (default: every serving worker); resolves with each one's answer within `timeoutMs`. */
  ask(
    op: unknown,
    to: FleetMember<Info>[] = this.serving().filter((m) => m.state === 'serving'),
    timeoutMs = FANOUT_TIMEOUT_MS,
  ): Promise<Map<FleetMember<Info>, unknown>> {
    const asked = new Set(to.map((m) => this.#members.get(m.worker)!).filter(Boolean));
    const results = new Map<Member<Info>, unknown>();
    if (asked.size === 0) return Promise.resolve(results);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waits.delete(id);
        const missing = [...asked].filter((m) => !results.has(m));
        if (missing.length > 0) this.#o.log.warn({ missing: missing.map((m) => m.pid) }, `${this.#o.label}s did not answer in time`);
        resolve(results);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waits.set(id, { asked, results, done });
      for (const m of asked) send(m.worker, { ms: 'local', id, op });
    });
  }

  /** Sends `op` to one worker, wanting no answer. */
  tell(member: FleetMember<Info>, op: unknown): void {
    send(member.worker, { ms: 'local', id: 0, op });
  }

  /**
   * Replaces every worker, one slot at a time: the new one serves before the old one is
   * sent SIGTERM (its own drain). A replacement that fails to start is killed and the
   * old worker keeps its slot; the restart stops there, with the error.
   */
  async replaceAll(): Promise<void> {
    for (const slot of this.#slots) {
      if (this.#stopping) return;
      clearTimeout(slot.timer); // a crashed slot waiting for its back-off is filled now
      const old = slot.current;
      const fresh = this.#fork(slot, old);
      try {
        await fresh.ready;
      } catch (err) {
        if (old && this.#members.has(old.worker)) slot.current = old;
        throw err;
      }
      if (old) await this.#retire(old);
      this.#o.log.info({ slot: slot.index, pid: fresh.pid }, `${this.#o.label} replaced`);
    }
  }

  /** SIGTERM to every worker (each drains), SIGKILL after the grace; resolves when all exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#stallTimer);
    for (const slot of this.#slots) clearTimeout(slot.timer);
    for (const m of this.#members.values()) m.settleReady(new WorkerStartError('stopped while starting', -1));
    await Promise.all(this.members().map((m) => this.#retire(m as Member<Info>)));
  }

  /** No more waiting (a second Ctrl-C). */
  killAll(): void {
    this.#stopping = true;
    for (const m of this.#members.values()) m.worker.process.kill('SIGKILL');
  }

  #fork(slot: Slot<Info>, replacing?: Member<Info>): Member<Info> {
    const worker = cluster.fork(this.#o.env(slot.index));
    let settle!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle(
          new WorkerStartError(`${this.#o.label} ${slot.index + 1} did not start within ${(this.#o.readyTimeoutMs ?? 30_000) / 1000} s`, 1),
        );
        worker.process.kill('SIGKILL');
      }, this.#o.readyTimeoutMs ?? 30_000);
      let settled = false;
      settle = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
    });
    ready.catch(() => undefined); // awaited by whoever forked; a restart's failure is its exit
    const member: Member<Info> = {
      slot: slot.index,
      worker,
      pid: worker.process.pid!,
      state: 'starting',
      lastBeat: Date.now(),
      ready,
      settleReady: settle,
      get restarts() {
        return slot.backoff.restarts;
      },
    };
    this.#members.set(worker, member);
    if (!replacing) slot.current = member;
    else
      void ready.then(() => {
        if (this.#members.has(worker)) slot.current = member;
      });
    if (this.#o.onOutputLine) {
      for (const stream of [worker.process.stdout, worker.process.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => this.#o.onOutputLine!(line));
      }
    }
    return member;
  }

  #onMessage(m: Member<Info>, msg: ToPrimary): void {
    switch (msg.ms) {
      case 'beat':
        m.lastBeat = Date.now();
        if (msg.report !== undefined) m.report = msg.report;
        if (m.state === 'stalled') {
          m.state = 'serving';
          this.#o.log.info({ slot: m.slot, pid: m.pid }, `${this.#o.label} answers again`);
          this.#o.onChange?.();
        }
        return;
      case 'ready':
        m.info = msg.info as Info;
        m.readyAt = Date.now();
        m.lastBeat = Date.now();
        if (m.state === 'starting') m.state = 'serving';
        m.settleReady();
        this.#o.onReady?.(m);
        this.#o.onChange?.();
        return;
      case 'ask':
        (this.#o.onAsk ? this.#o.onAsk(msg.op, m) : Promise.reject(new Error('this primary answers no questions'))).then(
          (result) => send(m.worker, { ms: 'answer', id: msg.id, ok: true, result }),
          (err: unknown) =>
            send(m.worker, { ms: 'answer', id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
        );
        return;
      case 'local-answer': {
        const wait = this.#waits.get(msg.id);
        if (!wait || !wait.asked.has(m)) return;
        wait.results.set(m, msg.result);
        if (wait.results.size >= wait.asked.size) wait.done();
      }
    }
  }

  #checkStalls(): void {
    const now = Date.now();
    const stallAfter = this.#o.stallAfterMs ?? 1_500;
    const killAfter = this.#o.killStalledAfterMs ?? 10_000;
    for (const m of this.#members.values()) {
      if (m.state !== 'serving' && m.state !== 'stalled') continue;
      const silent = now - m.lastBeat;
      if (m.state === 'serving' && silent > stallAfter) {
        m.state = 'stalled';
        this.#o.log.warn({ slot: m.slot, pid: m.pid, silentMs: silent }, `${this.#o.label} missed its heartbeats: stalled`);
        this.#o.onChange?.();
      } else if (m.state === 'stalled' && silent > killAfter) {
        this.#o.log.error({ slot: m.slot, pid: m.pid, silentMs: silent }, `${this.#o.label} stalled too long: killing it to free its slot`);
        m.worker.process.kill('SIGKILL');
      }
    }
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const m = this.#members.get(worker);
    if (!m) return;
    this.#members.delete(worker);
    for (const wait of this.#waits.values()) {
      if (!wait.asked.delete(m) || wait.results.has(m)) continue;
      if (wait.results.size >= wait.asked.size) wait.done();
    }
    const slot = this.#slots[m.slot]!;
    const crashed = m.state !== 'retiring' && !this.#stopping;
    m.settleReady(new WorkerStartError(`${this.#o.label} ${m.slot + 1} exited with ${signal ?? code} while starting`, code ?? 1));
    this.#o.onChange?.();
    if (!crashed || slot.current !== m) return;
    slot.current = undefined;
    if (m.readyAt === undefined && !this.#started) return; // start() fails with the error above
    const delay = slot.backoff.next(m.readyAt === undefined ? 0 : Date.now() - m.readyAt);
    const loop = slot.backoff.streak > 3;
    this.#o.log[loop ? 'error' : 'warn'](
      { slot: m.slot, pid: m.pid, code, signal, restartInMs: delay, restarts: slot.backoff.restarts },
      loop ? `${this.#o.label} keeps crashing; restarting with back-off` : `${this.#o.label} exited unexpectedly; restarting`,
    );
    slot.timer = setTimeout(() => {
      if (!this.#stopping) this.#fork(slot);
    }, delay);
  }

  async #retire(m: Member<Info>): Promise<void> {
    m.state = 'retiring';
    this.#o.onChange?.();
    if (m.worker.isDead()) return;
    const exited = new Promise<void>((resolve) => m.worker.once('exit', () => resolve()));
    const kill = setTimeout(() => m.worker.process.kill('SIGKILL'), this.#o.stopGraceMs);
    m.worker.process.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  }
}

function send(worker: Worker, m: ToWorker): void {
  if (worker.isConnected()) worker.send(m);
}
