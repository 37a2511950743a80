/**
 * The peers' system packages (the seed stack's README: nginx, php-fpm, php-redis,
 * redis-server, redis-tools, wrk), installed with apt-get when missing, so `npm run
 * bench` works from a fresh clone on a fresh Debian machine. Needs root; otherwise it
 * says what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDS: Array<{ pkg: string; present: () => boolean }> = [
  { pkg: 'nginx', present: () => onPath('nginx') },
  { pkg: 'php-fpm', present: () => ['/usr/sbin/php-fpm8.2', '/usr/sbin/php-fpm8.3', '/usr/sbin/php-fpm'].some(existsSync) },
  { pkg: 'php-redis', present: () => onPath('php') && run('php', ['-m']).split('\n').includes('redis') },
  { pkg: 'redis-server', present: () => onPath('redis-server') },
  { pkg: 'redis-tools', present: () => onPath('redis-cli') },
  { pkg: 'wrk', present: () => onPath('wrk') },
];

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function onPath(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).trim() !== '' || existsSync(`/usr/sbin/${cmd}`);
}

export function ensurePackages(): void {
  const missing = NEEDS.filter((n) => !n.present()).map((n) => n.pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(`the peers need: apt-get install -y ${missing.join(' ')} (run as root to install them automatically)`);
  console.log(`installing the peers' packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}
