/**
 * The admin key of a local system: MINISCALE_ADMIN_KEY when set, else a random key
 * generated once into DATA/admin-key (mode 0600) and reused on every later start, so
 * scripts and dashboards keep working across restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLongEnoughAdminKey } from '../core/admin-key.js';

export interface AdminKey {
  key: string;
  /** Where it is kept, or null when it came from the environment. */
  file: string | null;
}

export function loadOrCreateAdminKey(dataDir: string, fromEnv: string | undefined): AdminKey {
  if (fromEnv) return { key: fromEnv, file: null };
  const file = path.resolve(dataDir, 'admin-key');
  try {
    const key = readFileSync(file, 'utf8').trim();
    // A kept key too short to use is replaced, as if none were kept.
    if (isLongEnoughAdminKey(key)) {
      // A file copied in or restored from a backup may be readable by others; the key
      // guards every admin route, so it is tightened rather than used as found.
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { key, file };
    }
  } catch {
    // not there yet
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // the mode above is ignored when the file already existed
  return { key, file };
}
