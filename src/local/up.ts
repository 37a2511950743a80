/**
 * `miniscale up`, as a library: the whole system on one machine. In order:
 *   data dir → admin key → WeChat emulator (dev mode) → store (checked; a local Redis
 *   Cluster launched when asked) → the nodes, served one hop (the default,
 *   serve-one-hop.ts) or behind the in-process gateway (`--gateway`, serve-gateway.ts)
 *   → DATA/topology.json → with `--advertise`, this machine's entry in the node registry
 *   (advertise.ts), for gateways on other machines.
 * Stopping runs the same list backwards under one deadline (STOP_BUDGET_MS), so every
 * child is gone within 15 s however each step goes.
 */
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { DEV_APPID, DEV_SECRET, startWechatEmulator, type WechatEmulator } from '../wechat-emulator/index.js';
import { loadOrCreateAdminKey, type AdminKey } from './admin-key-file.js';
import { ADVERTISE_DRAIN_DELAY_MS, advertiseMachine, type MachineEntry } from './advertise.js';
import type { LogStream } from './log-stream.js';
import type { ReadyInfo } from './ready-banner.js';
import { serveOneHop } from './serve-one-hop.js';
import { serveThroughGateway } from './serve-gateway.js';
import type { Serving } from './serving.js';
import { readTopology, removeTopology, writeTopology } from './topology-file.js';
import type { UpOptions } from './up-options.js';
import { prepareStore, type PreparedStore } from './up-store.js';
import { withinMs } from '../core/within.js';

/** Everything stopped within this: the 15 s docs/operations.md promises. */
export const STOP_BUDGET_MS = 13_000;

export interface RunningSystem {
  readonly info: ReadyInfo;
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
  let serving: Serving | undefined;
  let machine: MachineEntry | undefined;
  let restarts = 0;
  let lastRestartError: string | undefined;
  const startedAt = new Date().toISOString();
  const pids = () => [...(serving?.pids() ?? []), ...(store?.pids() ?? [])];
  const saveTopology = () => {
    if (!serving) return;
    writeTopology(o.dataDir, {
      pid: process.pid,
      topology: serving.topology,
      url: serving.url,
      gatewayUrl: serving.url,
      nodes: serving.nodeUrls(),
      workers: serving.workers(),
      store: store!.label,
      startedAt,
      pids: pids(),
      restarts,
      lastRestartError,
    });
  };
  const stopAll = async (deadline: number) => {
    const left = () => Math.max(0, deadline - Date.now());
    if (machine) {
      // Gateways on other machines read the registry, not our signals: tell them first.
      await withinMs(machine.markDraining(), 1_000);
      await new Promise((resolve) => setTimeout(resolve, ADVERTISE_DRAIN_DELAY_MS));
    }
    await withinMs(serving?.stop(), Math.max(500, left() - 1_500));
    await withinMs(machine?.stop(), 1_000);
    await withinMs(emulator?.close(), 1_000);
    await withinMs(store?.release(), left());
    removeTopology(o.dataDir);
  };

  try {
    if (o.wechat === 'dev') {
      emulator = await startWechatEmulator({
        port: 0,
        appid: DEV_APPID,
        secret: DEV_SECRET,
        logger: logs.logger('wechat-emulator', o.logLevel),
      });
      log.info({ url: emulator.url }, 'dev mode: no MINISCALE_WECHAT_APPID/SECRET, so logins go to the WeChat emulator');
    }
    store = await prepareStore(o, log);
    const serve = o.gateway ? serveThroughGateway : serveOneHop;
    serving = await serve({
      o,
      log,
      adminKey,
      env: nodeEnv(o, adminKey, emulator),
      nodeArgs: store.nodeArgs,
      logger: (component) => logs.logger(component, o.logLevel),
      onOutputLine: (line) => logs.writeLine(line),
      onChange: saveTopology,
    });
    saveTopology();
    // Last: a gateway that finds the entry may send requests at once.
    if (o.advertise) machine = await advertiseMachine(store.config, o.advertise, log);
  } catch (err) {
    await stopAll(Date.now() + STOP_BUDGET_MS);
    throw err;
  }

  const info: ReadyInfo = {
    url: serving.url,
    topology: serving.topology,
    algorithm: o.algorithm,
    nodes: o.nodes,
    store: store.label,
    emulatorUrl: emulator?.url,
    adminKeyFile: adminKey.file,
    dataDir: o.dataDir,
    advertise: o.advertise,
  };
  let restarting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const running = serving;
  return {
    info,
    pids,
    rollingRestart: () =>
      (restarting ??= (async () => {
        log.info('rolling restart: replacing nodes one at a time');
        try {
          await running.replaceAll();
          lastRestartError = undefined;
          log.info({ nodes: running.workers().map((w) => w.nodeId) }, 'rolling restart done');
        } catch (err) {
          lastRestartError = err instanceof Error ? err.message : String(err);
          throw err;
        } finally {
          restarts++;
          saveTopology();
          restarting = undefined;
        }
      })()),
    stop: () =>
      (stopping ??= (async () => {
        log.info('stopping: the nodes drain, then the store is released');
        await stopAll(Date.now() + STOP_BUDGET_MS);
        log.info('stopped');
      })()),
    forceStop: () => {
      running.kill();
      removeTopology(o.dataDir);
    },
  };
}

function nodeEnv(o: UpOptions, adminKey: AdminKey, emulator: WechatEmulator | undefined): NodeJS.ProcessEnv {
  const wechat =
    o.wechat === 'dev'
      ? { MINISCALE_WECHAT_APPID: DEV_APPID, MINISCALE_WECHAT_SECRET: DEV_SECRET, MINISCALE_WECHAT_API: emulator!.url }
      : {
          MINISCALE_WECHAT_APPID: o.wechat.appid,
          MINISCALE_WECHAT_SECRET: o.wechat.secret,
          ...(o.wechat.apiBase ? { MINISCALE_WECHAT_API: o.wechat.apiBase } : {}),
        };
  return { ...process.env, ...wechat, MINISCALE_ADMIN_KEY: adminKey.key, MINISCALE_LOG_LEVEL: o.logLevel };
}
