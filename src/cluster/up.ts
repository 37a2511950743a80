/**
 * `miniscale up`, as a library: the whole system on one machine. In order:
 *   data dir → admin key → WeChat emulator (dev mode) → store (checked; a local Redis
 *   Cluster launched when asked) → N API nodes under the supervisor → the gateway,
 *   in this process, in front of them → DATA/topology.json.
 * Stopping runs the same list backwards under one deadline (STOP_BUDGET_MS), so every
 * child is gone within 15 s however each step goes.
 *
 * The gateway learns of nodes from the supervisor directly (gateway-wiring.ts), not by
 * polling the registry: a node being replaced leaves the rotation before it is told to
 * drain. Nodes still register in the store, for gateways on other machines.
 */
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { startGateway, type RunningGateway } from '../gateway/index.js';
import { DEV_APPID, DEV_SECRET, startWechatEmulator, type WechatEmulator } from '../wechat-emulator/index.js';
import { loadOrCreateAdminKey, type AdminKey } from './admin-key-file.js';
import { gatewayEvents, reconcile } from './gateway-wiring.js';
import type { LogStream } from './log-stream.js';
import { NodeSupervisor, type ManagedNode, type SupervisorEvents } from './node-supervisor.js';
import type { ReadyInfo } from './ready-banner.js';
import { readTopology, removeTopology, writeTopology } from './topology-file.js';
import type { UpOptions } from './up-options.js';
import { prepareStore, type PreparedStore } from './up-store.js';
import { withinMs } from './within.js';

/** Everything stopped within this; DESIGN.md promises 15 s. */
export const STOP_BUDGET_MS = 13_000;
const GATEWAY_CLOSE_MS = 4_000;

export interface RunningSystem {
  readonly info: ReadyInfo;
  nodes(): ManagedNode[];
  /** Every process started for the system that still runs. */
  pids(): number[];
  /** Replaces every node, one at a time (SIGHUP / `miniscale restart`). Calls during one join it. */
  rollingRestart(): Promise<void>;
  /** Graceful and bounded; idempotent. */
  stop(): Promise<void>;
  /** No more waiting: SIGKILL the nodes (the cluster guard still stops a launched cluster). */
  forceStop(): void;
}

export async function startSystem(o: UpOptions, logs: LogStream): Promise<RunningSystem> {
  const log = logs.logger('up', o.logLevel);
  mkdirSync(o.dataDir, { recursive: true });
  const other = readTopology(o.dataDir);
  if (other) throw new ConfigError(`miniscale up already runs on ${o.dataDir} (PID ${other.pid}); stop it, or use another --data`);
  const adminKey = loadOrCreateAdminKey(o.dataDir, o.adminKeyFromEnv);

  let emulator: WechatEmulator | undefined;
  let store: PreparedStore | undefined;
  let supervisor: NodeSupervisor | undefined;
  let gateway: RunningGateway | undefined;
  let restarts = 0;
  let lastRestartError: string | undefined;
  const startedAt = new Date().toISOString();
  const pids = () => [...(supervisor?.pids() ?? []), ...(store?.pids() ?? [])];
  const saveTopology = () => {
    if (!gateway || !supervisor) return;
    writeTopology(o.dataDir, {
      pid: process.pid, gatewayUrl: gateway.url, nodes: supervisor.nodes().map((n) => n.url),
      store: store!.label, startedAt, pids: pids(), restarts, lastRestartError,
    });
  };
  const stopAll = async (deadline: number) => {
    const left = () => Math.max(0, deadline - Date.now());
    await withinMs(gateway?.close(), Math.min(GATEWAY_CLOSE_MS, left()));
    await supervisor?.stop(Math.max(500, left() - 3_000));
    await withinMs(emulator?.close(), 1_000);
    await withinMs(store?.release(), left());
    removeTopology(o.dataDir);
  };

  try {
    if (o.wechat === 'dev') {
      emulator = await startWechatEmulator({ port: 0, appid: DEV_APPID, secret: DEV_SECRET, logger: logs.logger('wechat-emulator', o.logLevel) });
      log.info({ url: emulator.url }, 'dev mode: no MINISCALE_WECHAT_APPID/SECRET, so logins go to the WeChat emulator');
    }
    store = await prepareStore(o, log);
    const wiring = gatewayEvents(() => gateway);
    const events: SupervisorEvents = {
      ready: (n) => { wiring.ready?.(n); saveTopology(); },
      retiring: (n) => wiring.retiring!(n),
      gone: (n) => { wiring.gone?.(n); saveTopology(); },
    };
    supervisor = new NodeSupervisor({
      count: o.nodes, nodeArgs: store.nodeArgs, env: nodeEnv(o, adminKey, emulator), log, onChildLine: logs.writeLine, events,
    });
    const nodes = await supervisor.start();
    gateway = await startGateway({
      port: o.port, host: o.host, upstreams: nodes.map((n) => n.url), algorithm: o.algorithm,
      adminKey: adminKey.key, accessLog: o.accessLog, closeGraceMs: GATEWAY_CLOSE_MS, logger: logs.logger('gateway', o.logLevel),
    });
    // A node that crashed or came back while the gateway was starting.
    reconcile(gateway, supervisor.nodes());
    saveTopology();
  } catch (err) {
    await stopAll(Date.now() + STOP_BUDGET_MS);
    throw err;
  }

  const info: ReadyInfo = {
    gatewayUrl: gateway.url, algorithm: o.algorithm, nodes: o.nodes, store: store.label,
    emulatorUrl: emulator?.url, adminKeyFile: adminKey.file, dataDir: o.dataDir,
  };
  let restarting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const sup = supervisor;
  return {
    info,
    nodes: () => sup.nodes(),
    pids,
    rollingRestart: () => (restarting ??= (async () => {
      log.info('rolling restart: replacing nodes one at a time');
      try {
        await sup.rollingRestart();
        lastRestartError = undefined;
        log.info({ nodes: sup.nodes().map((n) => n.nodeId) }, 'rolling restart done');
      } catch (err) {
        lastRestartError = err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        restarts++;
        saveTopology();
        restarting = undefined;
      }
    })()),
    stop: () => (stopping ??= (async () => {
      log.info('stopping: gateway first, then the nodes drain and deregister');
      await stopAll(Date.now() + STOP_BUDGET_MS);
      log.info('stopped');
    })()),
    forceStop: () => {
      sup.killAll();
      removeTopology(o.dataDir);
    },
  };
}

function nodeEnv(o: UpOptions, adminKey: AdminKey, emulator: WechatEmulator | undefined): NodeJS.ProcessEnv {
  const wechat = o.wechat === 'dev'
    ? { MINISCALE_WECHAT_APPID: DEV_APPID, MINISCALE_WECHAT_SECRET: DEV_SECRET, MINISCALE_WECHAT_API: emulator!.url }
    : { MINISCALE_WECHAT_APPID: o.wechat.appid, MINISCALE_WECHAT_SECRET: o.wechat.secret, ...(o.wechat.apiBase ? { MINISCALE_WECHAT_API: o.wechat.apiBase } : {}) };
  return { ...process.env, ...wechat, MINISCALE_ADMIN_KEY: adminKey.key, MINISCALE_LOG_LEVEL: o.logLevel };
}
