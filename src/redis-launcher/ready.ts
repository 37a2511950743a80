/**
 * Waiting until a cluster is usable. cluster_state:ok on one node is not enough: right
 * after forming, other nodes may still be handshaking, a node about to become a replica
 * may still count as a primary, and a replica that has not synced cannot take over in a
 * failover. So every node is asked, and each must pass every check below.
 */
import { ClusterNotReadyError } from '../core/errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_SLOTS } from './options.js';
import { bulkCommand } from './resp-command.js';

const READY_POLL_MS = 200;
/** CLUSTER NODES flags meaning this node does not (yet) trust its view of that one. */
const UNSETTLED_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];

/** Parsed CLUSTER INFO of the node on 127.0.0.1:port. */
export async function clusterInfo(port: number): Promise<Record<string, string>> {
  const text = await bulkCommand(port, ['CLUSTER', 'INFO']);
  const info: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const sep = line.indexOf(':');
    if (sep > 0) info[line.slice(0, sep)] = line.slice(sep + 1).trim();
  }
  return info;
}

/** Polls every node until all are ready; throws ClusterNotReadyError with each one's reason. */
export async function waitForClusterReady(ports: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reasons = await Promise.all(ports.map((p) => notReadyReason(p, ports.length)));
    if (reasons.every((r) => r === null)) return;
    if (Date.now() >= deadline) {
      const detail = ports.flatMap((p, i) => (reasons[i] ? [`${p}: ${reasons[i]}`] : [])).join('; ');
      throw new ClusterNotReadyError(`Redis Cluster not ready after ${timeoutMs} ms (${detail})`);
    }
    await sleep(READY_POLL_MS);
  }
}

/** Why the node on PORT is not ready yet (the first failed check), or null when it is. */
async function notReadyReason(port: number, total: number): Promise<string | null> {
  try {
    return (await stateReason(port)) ?? (await topologyReason(port, total)) ?? (await replicationReason(port));
  } catch (err) {
    return `unreachable (${(err as Error).message})`;
  }
}

/** The cluster is ok and every slot is served. */
async function stateReason(port: number): Promise<string | null> {
  const info = await clusterInfo(port);
  if (info.cluster_state !== 'ok') return `cluster_state:${info.cluster_state ?? '?'}`;
  if (info.cluster_slots_assigned !== String(CLUSTER_SLOTS)) return `slots assigned ${info.cluster_slots_assigned ?? '?'}/${CLUSTER_SLOTS}`;
  return null;
}

/**
 * The node knows every node with a live link, and every primary it sees has slots (so a
 * node that is about to become a replica no longer counts as a primary).
 */
async function topologyReason(port: number, total: number): Promise<string | null> {
  const nodes = (await bulkCommand(port, ['CLUSTER', 'NODES']))
    .trim()
    .split('\n')
    .map((l) => l.trim().split(' '));
  if (nodes.length !== total) return `knows ${nodes.length}/${total} nodes`;
  for (const fields of nodes) {
    // <id> <ip:port@bus> <flags> <primary> <ping-sent> <pong-recv> <epoch> <link-state> <slot>...
    const flags = (fields[2] ?? '').split(',');
    if (flags.some((f) => UNSETTLED_FLAGS.includes(f))) return `sees ${fields[1]} as ${fields[2]}`;
    if (fields[7] !== 'connected') return `link to ${fields[1]} is ${fields[7] ?? '?'}`;
    if (flags.includes('master') && fields.length <= 8) return `sees ${fields[1]} as a primary without slots`;
  }
  return null;
}

/**
 * A replica that never finished its first sync refuses to take over ("Disconnected from
 * master for longer than allowed"): ready means every replica is in sync.
 */
async function replicationReason(port: number): Promise<string | null> {
  const replication = await bulkCommand(port, ['INFO', 'replication']);
  if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) return 'replica not yet in sync with its primary';
  return null;
}
