/**
 * `redis-cluster down`: stop exactly the PIDs in DIR's manifest that still are our
 * redis-server on their port, then forget them. `--purge` also deletes DIR, but only
 * the launcher's own layout: `--dir ~ --purge` must never delete a home directory.
 */
import { ClusterDirConflictError, ClusterStopError } from '../core/errors.js';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { isManifestFile, readClusterManifest, removeManifest, writeManifest, type ClusterNodeInfo } from './manifest.js';
import { commandLine, isClusterNodeProcess } from './nodes.js';
import { DEFAULT_STOP_GRACE_MS, type StopClusterOptions } from './options.js';
import { isAlive, stopPid } from './redis-server.js';

/**
 * Stops exactly the PIDs in DIR's manifest that still are our redis-server on their
 * port (SIGTERM, then SIGKILL after graceMs) and removes the manifest. Data stays
 * unless `purge`.
 */
export async function stopRedisCluster(
  dir: string,
  opts: StopClusterOptions = {},
): Promise<{ stopped: number; skipped: ClusterNodeInfo[] }> {
  const abs = path.resolve(dir);
  // Refuse a purge that would delete foreign files before anything is stopped.
  if (opts.purge) assertOnlyLauncherFiles(abs);
  const manifest = readClusterManifest(abs);
  const nodes = manifest?.nodes ?? [];
  const ours = nodes.filter((n) => isClusterNodeProcess(n.pid, n.port, abs));
  // Alive but no longer a redis-server on that port: the PID was reused. Leave it alone.
  const skipped = nodes.filter((n) => !ours.includes(n) && isAlive(n.pid) && commandLine(n.pid));
  await Promise.all(ours.map((n) => stopPid(n.pid, opts.graceMs ?? DEFAULT_STOP_GRACE_MS)));
  const survivors = ours.filter((n) => isClusterNodeProcess(n.pid, n.port, abs));
  if (survivors.length > 0 && manifest) {
    // Keep the survivors on record so a later `down` can still find them.
    writeManifest(abs, { ...manifest, nodes: survivors });
    throw new ClusterStopError(`could not stop redis-server PID(s) ${survivors.map((n) => `${n.pid} (port ${n.port})`).join(', ')}`);
  }
  removeManifest(abs);
  if (opts.purge) purgeDir(abs);
  return { stopped: ours.length, skipped };
}

/** Throws ClusterDirConflictError when DIR holds anything the launcher did not create. */
function assertOnlyLauncherFiles(dir: string): void {
  if (!existsSync(dir)) return;
  const foreign = readdirSync(dir).filter((name) => !isLauncherEntry(dir, name));
  if (foreign.length > 0) {
    throw new ClusterDirConflictError(
      `refusing to purge ${dir}: it holds ${foreign.slice(0, 3).join(', ')}, which redis-cluster did not create`,
    );
  }
}

/**
 * Deletes DIR only when it holds nothing but the launcher's files and no node still runs
 * there. The node check reads each node's pid file, not the manifest, because a node
 * the manifest does not name (e.g. one left by a crashed `up`) may still be using DIR.
 */
function purgeDir(dir: string): void {
  if (!existsSync(dir)) return;
  assertOnlyLauncherFiles(dir);
  for (const name of readdirSync(dir).filter((n) => /^\d+$/.test(n))) {
    const pid = readPidFile(path.join(dir, name, 'redis.pid'));
    if (pid !== null && isClusterNodeProcess(pid, Number(name), dir)) {
      throw new ClusterDirConflictError(
        `refusing to purge ${dir}: redis-server PID ${pid} still runs on port ${name} (not in the manifest; stop it first)`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** The manifest, or a DIR/<port>/ holding a redis.conf: the layout `up` creates. */
function isLauncherEntry(dir: string, name: string): boolean {
  if (isManifestFile(name)) return true;
  if (!/^\d+$/.test(name)) return false;
  const nodeDir = path.join(dir, name);
  return statSync(nodeDir).isDirectory() && existsSync(path.join(nodeDir, 'redis.conf'));
}

/** The PID redis-server.ts recorded for a node, or null when absent or unusable. */
function readPidFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}
