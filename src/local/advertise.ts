/**
 * `up --advertise URL`: this machine, as one entry in the store's node registry, which is
 * where `miniscale gateway --discover` on another machine finds it. One entry per
 * machine, not per worker — the workers share the one public port, and a gateway that
 * saw it N times would count one machine N times.
 *
 * The entry's id is derived from the URL, so a machine that comes back (after a crash,
 * before its old entry expired) renews its entry instead of adding a second one for the
 * same address. Stopping is in the order a gateway in front needs: the entry says
 * `draining` first, the machine keeps serving while the gateways read that, then the
 * workers drain and the entry is removed.
 */
import type { Logger } from '../core/logging.js';
import { RegistryHeartbeat } from '../api/registry-heartbeat.js';
import { DEFAULT_HEARTBEAT_MS } from '../api/config.js';
import { openStore, type Store, type StoreConfig } from '../store/index.js';

/**
 * How long a stopping machine keeps serving once its entry says draining: twice a
 * gateway's default registry poll (1 s), plus a poll's own round trip.
 */
export const ADVERTISE_DRAIN_DELAY_MS = 2_500;

export interface MachineEntry {
  readonly nodeId: string;
  /** The entry says draining: gateways send nothing new; what they sent still runs. */
  markDraining(): Promise<void>;
  /** Removes the entry and closes the store. Idempotent. */
  stop(): Promise<void>;
}

/**
 * How long a machine's entry outlives its last beat. Longer than a node's (three beats):
 * a store failing over can refuse beats for a few seconds, and a machine must not drop
 * out of every gateway meanwhile; a machine that really died is ejected by the
 * gateways' health checks long before its entry expires.
 */
export const MACHINE_ENTRY_TTL_MS = 10_000;

/** The registry id of the machine advertising `url`: `machine-HOST-PORT`. */
export function machineNodeId(url: string): string {
  const { hostname, port } = new URL(url);
  return `machine-${hostname.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}`;
}

export async function advertiseMachine(
  config: StoreConfig,
  url: string,
  log: Logger,
  heartbeatMs = DEFAULT_HEARTBEAT_MS,
): Promise<MachineEntry> {
  const store: Store = await openStore(config);
  const nodeId = machineNodeId(url);
  const heartbeat = new RegistryHeartbeat(store, nodeId, url, heartbeatMs, log, MACHINE_ENTRY_TTL_MS);
  await heartbeat.start(); // a failed beat is logged and tried again shortly
  log.info({ advertise: url, nodeId }, 'machine registered in the node registry');
  let stopping: Promise<void> | undefined;
  return {
    nodeId,
    markDraining: () => heartbeat.markDraining(),
    stop: () =>
      (stopping ??= (async () => {
        await heartbeat.stop();
        await store.close().catch((err: unknown) => log.warn({ err }, 'closing the registry store failed'));
        log.info({ nodeId }, 'machine deregistered');
      })()),
  };
}
