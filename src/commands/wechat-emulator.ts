/**
 * `miniscale wechat-emulator`: the WeChat server API stand-in, in the foreground.
 * Prints one JSON line `{"event":"listening","url",...}` on stdout when ready (the same
 * shape as `miniscale node`, for scripts and supervisors); SIGTERM/SIGINT close it.
 * Numbers are checked while parsing, so a bad value is a usage error (exit 2).
 */
import { Command } from 'commander';
import { onShutdown } from '../core/shutdown.js';
import { DEV_APPID, DEV_SECRET } from '../wechat-emulator/options.js';
import { integerIn, nonEmpty, port } from './cli-options.js';

interface EmulatorFlags {
  port: number;
  host: string;
  appid?: string;
  secret?: string;
  tokenTtl: number;
  invalidateAfter: number;
  loginLimit: number;
}

export function registerWechatEmulatorCommand(program: Command): void {
  program
    .command('wechat-emulator')
    .description(
      'run the WeChat server API emulator (login, access_token, phone number, text check, mini program codes, subscribe messages) for development and tests',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', port('--port'), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--appid <appid>', `appid it accepts (default: $MINISCALE_WECHAT_APPID, else ${DEV_APPID})`, nonEmpty('--appid'))
    .option('--secret <secret>', 'secret it accepts (default: $MINISCALE_WECHAT_SECRET, else a fixed dev value)', nonEmpty('--secret'))
    .option('--token-ttl <sec>', 'access_token lifetime in seconds', integerIn('--token-ttl', 1, 365 * 86_400), 7200)
    .option(
      '--invalidate-after <sec>',
      'a /cgi-bin/token token dies this long after the next is fetched',
      integerIn('--invalidate-after', 0, 365 * 86_400),
      300,
    )
    .option('--login-limit <n>', 'jscode2session calls per user per minute before 45011', integerIn('--login-limit', 1, 1_000_000), 100)
    .action(async (flags: EmulatorFlags) => {
      const appid = flags.appid ?? (process.env.MINISCALE_WECHAT_APPID || DEV_APPID);
      const { startWechatEmulator } = await import('../wechat-emulator/index.js');
      const emulator = await startWechatEmulator({
        port: flags.port,
        host: flags.host,
        appid,
        secret: flags.secret ?? (process.env.MINISCALE_WECHAT_SECRET || DEV_SECRET),
        tokenTtlSec: flags.tokenTtl,
        invalidateAfterSec: flags.invalidateAfter,
        loginLimitPerMinute: flags.loginLimit,
      });
      process.stdout.write(`${JSON.stringify({ event: 'listening', url: emulator.url, appid, pid: process.pid })}\n`);
      await onShutdown(() => emulator.close(), { again: 'same-default' }).done;
    });
}
