/**
 * The system under test: a real `miniscale up` (supervised API node workers) on a data
 * directory, as a user runs it, with what the nemesis needs — the PIDs of its nodes,
 * a way to SIGKILL the whole process tree and start it again on the same data, and a
 * clean stop that proves nothing was left behind.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Topology } from '../../../src/local/topology-file.js';
import { isRunning, processesMentioning, startUp, type UpHandle } from '../../support/up.js';
import type { Target } from './http-client.js';

/** Load from one machine and one user per worker pair: the limits would only add 429s. */
const UNLIMITED = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_RATE_LIMIT_LOGIN: '0' };

export class UpSystem {
  readonly target: Target = { url: '' };
  #handle: UpHandle | undefined;

  constructor(
    readonly dataDir: string,
    readonly args: string[],
    readonly env: Record<string, string> = {},
  ) {}

  get handle(): UpHandle {
    if (!this.#handle) throw new Error('up is not running');
    return this.#handle;
  }

  async start(): Promise<void> {
    this.#handle = await startUp(['--data', this.dataDir, '--no-access-log', ...this.args], { ...UNLIMITED, ...this.env }, 90_000);
    this.target.url = this.#handle.url;
  }

  topology(): Topology {
    return JSON.parse(readFileSync(path.join(this.dataDir, 'topology.json'), 'utf8')) as Topology;
  }

  /** PIDs of the API nodes serving now. */
  nodePids(): number[] {
    return this.topology().workers.map((w) => w.pid);
  }

  /** Waits until the supervisor reports `count` live nodes, none of them in `gone`. */
  async waitForNodes(count: number, gone: number[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const pids = this.nodePids();
        if (pids.length === count && pids.every((p) => !gone.includes(p) && isRunning(p))) return;
      } catch {
        // topology.json being rewritten
      }
      if (Date.now() > deadline) throw new Error(`no ${count} live nodes within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** The admin view's states of the nodes (healthy, or ramping up in slow start behind a gateway). */
  async upstreamStates(): Promise<string[]> {
    const res = await fetch(`${this.target.url}/_gateway/upstreams`);
    const body = (await res.json()) as { upstreams: { state: string }[] };
    return body.upstreams.map((u) => u.state);
  }

  /** SIGKILL of `up` and every node at once (a machine losing power, as far as processes go). */
  async killTree(): Promise<number[]> {
    const pids = [this.handle.child.pid!, ...this.nodePids()];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await this.handle.exited;
    const deadline = Date.now() + 10_000;
    while (pids.some(isRunning)) {
      if (Date.now() > deadline) throw new Error(`still running after SIGKILL: ${pids.filter(isRunning).join(', ')}`);
      await sleep(50);
    }
    this.#handle = undefined;
    return pids;
  }

  /** SIGTERM and wait; then nothing that mentions the data dir may still run. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    if (this.#handle) {
      const handle = this.#handle;
      handle.child.kill('SIGTERM');
      const timer = setTimeout(() => handle.child.kill('SIGKILL'), 20_000);
      const code = await handle.exited;
      clearTimeout(timer);
      if (code !== 0) problems.push(`up exited with ${String(code)}`);
      this.#handle = undefined;
    }
    const deadline = Date.now() + 5_000;
    while (processesMentioning(this.dataDir).length > 0 && Date.now() < deadline) await sleep(100);
    const left = processesMentioning(this.dataDir);
    if (left.length > 0) {
      problems.push(`processes left behind: ${left.join(', ')}`);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    return problems;
  }
}
