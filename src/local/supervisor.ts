/**
 * Keeps N API node processes running for `miniscale up`.
 *
 * - A node that exits unexpectedly is restarted with the shared back-off
 *   (src/core/backoff.ts: from 0.5 s, capped at 10 s, reset after a healthy minute),
 *   so a node that keeps crashing is reported and retried slowly, never hot-looped.
 * - A node that stops answering (e.g. SIGSTOPped) is not killed here: the gateway's
 *   health checks take it out of rotation. Killing on a missed probe would turn a
 *   pause into lost in-flight requests.
 * - Every child has an IPC channel to us; when we die — even by SIGKILL — the channel
 *   closes and the child drains and exits, so no orphan outlives `up`.
 * - A rolling restart replaces nodes one at a time: start the new one, wait until it
 *   is ready, then drain the old one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import type { Logger } from '../core/logging.js';
import { RestartBackoff } from '../core/backoff.js';
import { cliCommand } from '../core/cli-entry.js';
import { withinMs } from '../core/within.js';

/** How long a replaced node may take to finish its requests and deregister. */
export const RETIRE_GRACE_MS = 15_000;

export interface SupervisorOptions {
  count: number;
  /** Arguments after `miniscale node`, e.g. ['--store', 'redis', '--store-url', url]. */
  nodeArgs: string[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Where children's own log lines go (already JSON, tagged by the child). */
  onChildLine: (line: string) => void;
  /** @default 20_000 */
  readyTimeoutMs?: number;
  /** What the gateway in front must hear about, so it never sends to a node that is going. */
  events?: SupervisorEvents;
}

/**
 * The supervisor's view of its nodes, for whoever routes to them (`up` wires these to
 * the in-process gateway's membership). Told directly rather than through the store's
 * registry, whose polling would leave a window in which a retiring node still gets picked.
 */
export interface SupervisorEvents {
  /** A node answers /readyz: it may take traffic. */
  ready?(node: ManagedNode): void;
  /** A node is about to be drained on purpose: stop picking it and wait for its in-flight requests. */
  retiring?(node: ManagedNode): Promise<void>;
  /** A node's process has exited, planned or not. */
  gone?(node: ManagedNode): void;
}

export interface ManagedNode {
  slot: number;
  pid: number;
  url: string;
  nodeId: string;
  startedAt: number;
}

interface Slot {
  index: number;
  /** The newest process of this slot (it may still be starting). */
  child?: ChildProcess;
  /** The ready node answering for this slot; during a replacement, the old one until the new one is ready. */
  serving?: ManagedNode;
  backoff: RestartBackoff;
  timer?: NodeJS.Timeout;
}

export class NodeSupervisor {
  readonly #opts: SupervisorOptions;
  readonly #slots: Slot[];
  #stopping = false;
  /** Children being replaced or stopped on purpose: their exit is not a crash. */
  readonly #retiring = new Set<ChildProcess>();
  /** Every ready node by its process, until that process exits. */
  readonly #ready = new Map<ChildProcess, ManagedNode>();

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#slots = Array.from({ length: opts.count }, (_, index) => ({ index, backoff: new RestartBackoff() }));
  }

  async start(): Promise<ManagedNode[]> {
    await Promise.all(this.#slots.map((slot) => this.#launch(slot)));
    return this.nodes();
  }

  nodes(): ManagedNode[] {
    return this.#slots.flatMap((s) => (s.serving ? [s.serving] : []));
  }

  /** Crash restarts of the slot whose node serves at `url`; undefined when none does. */
  restartsOf(url: string): number | undefined {
    return this.#slots.find((s) => s.serving?.url === url)?.backoff.restarts;
  }

  /** PIDs of every child still running, including ones being replaced. */
  pids(): number[] {
    const live = this.#slots.flatMap((s) => (s.child ? [s.child] : [])).concat([...this.#retiring]);
    return live.filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined).map((c) => c.pid!);
  }

  /**
   * Replaces every node, one at a time, without a moment where a slot has no ready node.
   * A replacement that fails to start leaves the old node serving and ends the restart
   * (with the error), rather than going on to replace healthy nodes with broken ones.
   */
  async rollingRestart(): Promise<void> {
    for (const slot of this.#slots) {
      if (this.#stopping) return;
      clearTimeout(slot.timer); // a crashed slot waiting for its back-off is filled now
      const old = slot.child;
      await this.#launch(slot);
      if (old) await this.#retire(old, RETIRE_GRACE_MS);
      this.#opts.log.info({ slot: slot.index, node: slot.serving?.nodeId }, 'node replaced');
    }
  }

  /** Drains every node (SIGTERM), then kills what is left after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) clearTimeout(slot.timer);
    const children = this.#slots.flatMap((s) => (s.child ? [s.child] : [])).concat([...this.#retiring]);
    await Promise.all(children.map((c) => this.#retire(c, graceMs)));
  }

  /** Second Ctrl-C: no more waiting. */
  killAll(): void {
    this.#stopping = true;
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  async #launch(slot: Slot): Promise<void> {
    const child = spawnNode(this.#opts.nodeArgs, this.#opts.env);
    const previous = slot.child;
    slot.child = child;
    // The previous process keeps serving until this one is ready; its exit is planned.
    if (previous && previous !== child) this.#retiring.add(previous);
    child.once('exit', (code, signal) => this.#onExit(slot, child, code, signal));
    try {
      const node = await this.#awaitReady(slot, child);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node in slot ${slot.index} exited as it became ready`);
      this.#ready.set(child, node);
      if (slot.child === child) slot.serving = node;
      this.#opts.events?.ready?.(node);
    } catch (err) {
      this.#opts.log.error({ slot: slot.index, err }, 'node failed to start');
      if (previous && previous.exitCode === null && previous.signalCode === null) {
        // A failed replacement: the old node keeps its slot, and the new one's exit is no crash.
        slot.child = previous;
        this.#retiring.delete(previous);
        this.#retiring.add(child);
      }
      child.kill('SIGKILL');
      throw err;
    }
  }

  async #awaitReady(slot: Slot, child: ChildProcess): Promise<ManagedNode> {
    const listening = new Promise<{ url: string; nodeId: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`node in slot ${slot.index} did not start within the timeout`)),
        this.#opts.readyTimeoutMs ?? 20_000,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line.includes('"event":"listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { url: string; nodeId: string });
        } else {
          this.#opts.onChildLine(line);
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => this.#opts.onChildLine(line));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node in slot ${slot.index} exited with ${code} during start-up`));
      });
    });
    const { url, nodeId } = await listening;
    await waitReady(url, this.#opts.readyTimeoutMs ?? 20_000);
    return { slot: slot.index, pid: child.pid!, url, nodeId, startedAt: Date.now() };
  }

  #onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const node = this.#ready.get(child);
    this.#ready.delete(child);
    if (slot.serving && slot.serving === node) slot.serving = undefined;
    const planned = this.#retiring.delete(child) || this.#stopping || slot.child !== child;
    if (!planned) this.#scheduleRestart(slot, child, node, code, signal);
    // Told after the slot is updated, so a listener reading nodes() sees the node gone.
    if (node) this.#opts.events?.gone?.(node);
  }

  #scheduleRestart(
    slot: Slot,
    child: ChildProcess,
    node: ManagedNode | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    const delay = slot.backoff.next(node ? Date.now() - node.startedAt : 0);
    const loop = slot.backoff.streak > 3;
    this.#opts.log[loop ? 'error' : 'warn'](
      { slot: slot.index, node: node?.nodeId, pid: child.pid, code, signal, restartInMs: delay, restarts: slot.backoff.streak },
      loop ? 'node keeps crashing; restarting with back-off' : 'node exited unexpectedly; restarting',
    );
    slot.child = undefined;
    slot.timer = setTimeout(() => {
      // A failed start kills its child, whose exit lands here again with a longer back-off.
      this.#launch(slot).catch((err: unknown) => this.#opts.log.error({ slot: slot.index, err }, 'restart failed; will retry'));
    }, delay);
  }

  async #retire(child: ChildProcess, graceMs: number): Promise<void> {
    this.#retiring.add(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const node = this.#ready.get(child);
    if (node && this.#opts.events?.retiring) {
      // Bounded: a stuck request must not hold a shutdown or a rolling restart forever.
      await withinMs(Promise.race([this.#opts.events.retiring(node), exited]), graceMs / 2);
    }
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** `miniscale node` as a child process of this program. */
function spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const cli = cliCommand();
  return spawn(cli.file, [...cli.args, 'node', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a Ctrl-C in the terminal reaches `up` alone, which then
    // stops the nodes in order; otherwise they would drain on their own at once and
    // the supervisor would take their exits for crashes.
    detached: true,
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not become ready within ${timeoutMs} ms`);
}
