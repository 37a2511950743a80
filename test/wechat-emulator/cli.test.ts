/**
 * `miniscale wechat-emulator` as a real child process: it prints its URL, serves with the
 * credentials from flags, environment or the dev defaults, stops on SIGTERM/SIGINT, and
 * rejects bad flags with one line and exit code 2.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { DEV_APPID, DEV_SECRET, devOpenid } from '../../src/wechat-emulator/index.js';
import { finished, killAll, runTs, spawnTs } from '../support/processes.js';
import { getJson, postJson, stats, type WxBody } from './helpers.js';

after(killAll);

interface Started {
  url: string;
  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Starts the CLI and waits for its `listening` line (20 s at most). */
async function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child: ChildProcess = spawnTs('src/cli.ts', ['wechat-emulator', ...args], { MINISCALE_LOG_LEVEL: 'warn', ...env });
  const done = finished(child, 30_000);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the emulator did not print its URL in 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    void done.then((r) => {
      clearTimeout(timer);
      reject(new Error(`exited ${r.code} before listening: ${r.stderr}`));
    });
  });
  return {
    url,
    stop: async (signal) => {
      const t = Date.now();
      child.kill(signal);
      const r = await done;
      return { code: r.code, ms: Date.now() - t };
    },
  };
}

function code2Session(url: string, appid: string, secret: string, code: string): Promise<WxBody> {
  return getJson(url, '/sns/jscode2session', { appid, secret, js_code: code, grant_type: 'authorization_code' }).then((r) => r.body);
}

describe('miniscale wechat-emulator', { timeout: 90_000 }, () => {
  it('listens on --port, uses the credentials in the environment, counts calls, exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const env = { MINISCALE_WECHAT_APPID: 'wxcliapp00000001', MINISCALE_WECHAT_SECRET: 'cli-secret' };
    const cli = await startCli(['--port', String(port)], env);
    const { url } = cli;
    assert.equal(url, `http://127.0.0.1:${port}`);
    const ok = await code2Session(url, env.MINISCALE_WECHAT_APPID, env.MINISCALE_WECHAT_SECRET, 'dev:mia:1');
    assert.equal(ok.openid, devOpenid(env.MINISCALE_WECHAT_APPID, 'mia'));
    assert.equal((await code2Session(url, DEV_APPID, DEV_SECRET, 'dev:mia:2')).errcode, 40013, 'the dev appid is not accepted then');
    const tok = await postJson(url, '/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: env.MINISCALE_WECHAT_APPID,
      secret: env.MINISCALE_WECHAT_SECRET,
    });
    assert.equal(tok.body.expires_in, 7200);
    assert.deepEqual(await stats(url), {
      jscode2session: 2,
      token: 0,
      stable_token: 1,
      getcallbackip: 0,
      getuserphonenumber: 0,
      msg_sec_check: 0,
      getwxacodeunlimit: 0,
      subscribe_send: 0,
      stable_token_force: 0,
    });
    const end = await cli.stop('SIGTERM');
    assert.equal(end.code, 0);
    assert.ok(end.ms < 5_000, `exited ${end.ms} ms after SIGTERM`);
  });

  it('falls back to the dev credentials, takes --appid/--secret/--login-limit, stops on SIGINT', async () => {
    const unset = { MINISCALE_WECHAT_APPID: undefined, MINISCALE_WECHAT_SECRET: undefined };
    const dev = await startCli(['--port', '0'], unset);
    assert.ok((await code2Session(dev.url, DEV_APPID, DEV_SECRET, 'dev:ned')).openid);
    assert.equal((await dev.stop('SIGINT')).code, 0);

    const custom = await startCli(['--port', '0', '--appid', 'wxflagapp0000001', '--secret', 'flag-secret', '--login-limit', '1'], {
      MINISCALE_WECHAT_APPID: 'wxenvignored',
      MINISCALE_WECHAT_SECRET: 'ignored',
    });
    assert.ok((await code2Session(custom.url, 'wxflagapp0000001', 'flag-secret', 'dev:ola:1')).openid);
    assert.equal((await code2Session(custom.url, 'wxflagapp0000001', 'flag-secret', 'dev:ola:2')).errcode, 45011);
    assert.equal((await custom.stop('SIGTERM')).code, 0);
  });

  for (const args of [
    ['--port', 'abc'],
    ['--port', '70000'],
    ['--port', '-1'],
    ['--login-limit', '0'],
    ['--token-ttl', '1.5'],
    ['--appid', ''],
    ['--bogus'],
  ]) {
    it(`${args.join(' ') || '(empty)'} → exit 2 with one line on stderr`, async () => {
      const r = await runTs('src/cli.ts', ['wechat-emulator', ...args], 20_000);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(args[0]!.replace(/-/g, '\\-')));
      assert.equal(r.stdout, '');
    });
  }

  it('a port already in use → exit 1 with one line', async () => {
    const first = await startCli(['--port', '0']);
    const port = new URL(first.url).port;
    const r = await runTs('src/cli.ts', ['wechat-emulator', '--port', port], 20_000, { MINISCALE_LOG_LEVEL: 'warn' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^miniscale: .*EADDRINUSE/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal((await first.stop('SIGTERM')).code, 0);
  });
});
