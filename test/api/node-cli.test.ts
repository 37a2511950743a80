/** `miniscale node` start-up checks: a setting that cannot work stops it with one line and exit 2. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { killAll, runTs } from '../support/processes.js';

after(killAll);

const base = { MINISCALE_WECHAT_APPID: 'wxapp', MINISCALE_WECHAT_SECRET: 'secret', MINISCALE_WECHAT_API: 'http://127.0.0.1:9' };

describe('miniscale node configuration', () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['missing WeChat credentials', [], { MINISCALE_WECHAT_APPID: '', MINISCALE_WECHAT_SECRET: '' }, /MINISCALE_WECHAT_APPID/],
    ['a rate limit that is not a number', [], { MINISCALE_RATE_LIMIT_USER: 'lots' }, /MINISCALE_RATE_LIMIT_USER/],
    ['a short admin key', [], { MINISCALE_ADMIN_KEY: 'short' }, /at least 16/],
    ['a WeChat API that is not a URL', [], { MINISCALE_WECHAT_API: 'ftp://x' }, /MINISCALE_WECHAT_API/],
    ['redis without a URL', ['--store', 'redis'], {}, /--store-url/],
    ['an unknown store', ['--store', 'mongo'], {}, /store/],
    ['a port out of range', ['--port', '70000'], {}, /--port/],
  ];
  for (const [what, args, env, message] of cases) {
    it(`refuses ${what} with exit code 2 and one line`, async () => {
      const res = await runTs('src/cli.ts', ['node', ...args], 20_000, { ...base, ...env });
      assert.equal(res.code, 2, res.stderr);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0]!, message);
    });
  }
});
