/**
 * The built SDK against a real `miniscale up` (dev mode: emulator logins), loaded as
 * the mini program runtime loads it — a vm context with `wx` and timers only —
 * with a `wx` over real HTTP. Each test signs in as its own emulator user, so the
 * per-user rate limit of one test does not reach another.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { transformSync } from 'esbuild';
import { request } from 'undici';
import { freePort } from '../../src/core/ports.js';
import { tempDir, type TempDir } from '../support/redis.js';
import { killAllUp, startUp, stopUp, type UpHandle } from '../support/up.js';
import { DropProxy } from './drop-proxy.js';
import { loadExamplePage } from './example-runtime.js';
import { builtSdkSource, loadSdk, runtimeGlobals, type Sdk } from './load-sdk.js';
import { WxOverHttp } from './wx-over-http.js';

/** Low enough that a test can run into it with a few hundred requests: 300 a minute is one every 200 ms after the burst. */
const USER_LIMIT_PER_MIN = 300;

describe('miniscale-wx against miniscale up', { timeout: 240_000 }, () => {
  let dir: TempDir;
  let up: UpHandle;
  const devices: WxOverHttp[] = [];

  before(async () => {
    dir = tempDir('miniscale-sdk-');
    up = await startUp(['--nodes', '2', '--data', dir.path], { MINISCALE_RATE_LIMIT_USER: String(USER_LIMIT_PER_MIN) });
  });

  after(async () => {
    for (const d of devices) await d.close();
    if (up) await stopUp(up).catch(() => undefined);
    killAllUp();
    dir?.cleanup();
  });

  /** The dev-mode WeChat emulator `up` started, from its log line. */
  function emulatorUrl(): string {
    const line = up.lines.find((l) => l.includes('logins go to the WeChat emulator'));
    assert.ok(line, 'up says where its emulator is');
    return (JSON.parse(line) as { url: string }).url;
  }

  /** One device (its own storage) signing in as emulator user `user`, and its client. */
  function device(user: string, options: Record<string, unknown> = {}, baseUrl = up.url) {
    const phone = new WxOverHttp(user);
    devices.push(phone);
    const sdk = loadSdk(runtimeGlobals(phone.wx));
    return { phone, sdk, client: sdk.createClient({ baseUrl, ...options }) };
  }

  it('the built file is one ES2017 CommonJS file of at most 15 KB minified that uses no Node.js global', () => {
    const source = builtSdkSource();
    const minified = transformSync(source, { minify: true, target: 'es2017' }).code;
    assert.ok(minified.length <= 15 * 1024, `${minified.length} bytes minified`);
    for (const node of [
      'require(',
      'process.',
      'Buffer',
      'fetch(',
      'eval(',
      'new Function',
      'globalThis',
      '__dirname',
      'setImmediate',
      'import(',
    ]) {
      assert.ok(!source.includes(node), `the built file mentions ${node}`);
    }
    // ES2020+ syntax the ES2017 target must have lowered.
    assert.ok(!/\?\.[A-Za-z_$[(]|\?\?/.test(minified), 'optional chaining or ?? left in');
  });

  it('loads in a bare vm context that has only wx, and makes a client there', () => {
    const phone = new WxOverHttp('bare');
    const context = vm.createContext({ wx: phone.wx });
    const module = { exports: {} as Partial<Sdk> };
    vm.runInContext(`(function (module, exports) {${builtSdkSource()}\n})`, context)(module, module.exports);
    assert.equal(typeof module.exports.createClient, 'function');
    const client = module.exports.createClient!({ baseUrl: 'https://api.example.com' });
    assert.equal(typeof client.kv.update, 'function');
    assert.equal(client.openid, undefined);
    assert.equal(
      vm.runInContext('typeof process + typeof require + typeof Buffer + typeof setTimeout', context),
      'undefinedundefinedundefinedundefined',
    );
  });

  it('a call made signed out logs in first; 20 concurrent calls share one login; the session survives a restart of the app', async () => {
    const { phone, client } = device('share');
    const values = await Promise.all(Array.from({ length: 20 }, () => client.counters.get('sdk-share')));
    assert.deepEqual(values, Array(20).fill(0));
    assert.equal(phone.logins, 1);
    assert.equal(phone.callsTo('POST', '/v1/auth/login').length, 1);
    const stored = phone.storage.get('miniscale.session') as { token: string; openid: string };
    assert.ok(stored.token.length > 20);
    assert.equal(client.openid, stored.openid);
    // A new client on the same device (the app restarted) uses the stored session.
    const again = loadSdk(runtimeGlobals(phone.wx)).createClient({ baseUrl: up.url });
    assert.equal(await again.counters.incr('sdk-share'), 1);
    assert.equal(phone.logins, 1);
  });

  it('never has more than maxConcurrent (10) wx.request calls in flight under 60 concurrent calls, and sends them in call order', async () => {
    const { phone, client } = device('queue');
    await client.login();
    const names = Array.from({ length: 60 }, (_, i) => `sdk-queue-${i}`);
    const values = await Promise.all(names.map((name) => client.counters.incr(name)));
    assert.deepEqual(values, Array(60).fill(1));
    assert.equal(phone.maxInFlight, 10, 'the queue fills its 10 slots and never goes past them');
    const sent = phone.calls.filter((c) => c.path.startsWith('/v1/counters/')).map((c) => c.path.slice('/v1/counters/'.length));
    assert.deepEqual(sent, names);
    const three = device('queue3', { maxConcurrent: 3 });
    await Promise.all(names.slice(0, 20).map((name) => three.client.counters.get(name)));
    assert.equal(three.phone.maxInFlight, 3);
  });

  it('after a server-side logout, one fresh login and one replay; concurrent calls share that login', async () => {
    const { phone, client } = device('relogin');
    await client.kv.set('note', 'before');
    const { token } = phone.storage.get('miniscale.session') as { token: string };
    const logout = await request(`${up.url}/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(logout.statusCode, 204);
    await logout.body.dump();
    const results = await Promise.all([client.kv.set('note', 'after'), client.kv.get('note'), client.counters.incr('sdk-relogin')]);
    assert.equal(results[0].value, 'after');
    assert.equal(phone.logins, 2, 'one login at first, one after the logout');
    const puts = phone.callsTo('PUT', '/v1/me/kv/note').map((c) => c.status);
    assert.deepEqual(puts, [200, 401, 200], 'the refused PUT was replayed once');
    assert.notEqual((phone.storage.get('miniscale.session') as { token: string }).token, token);
  });

  it('kv.update on two devices of one user loses no update', async () => {
    const a = device('twodevices');
    const b = device('twodevices');
    const workers = [a, a, b, b].map(async ({ client }) => {
      for (let i = 0; i < 10; i++) await client.kv.update<number>('tally', (n) => (n ?? 0) + 1, { retries: 50 });
    });
    await Promise.all(workers);
    const final = await a.client.kv.get<number>('tally');
    assert.equal(final?.value, 40);
    assert.equal(a.phone.logins + b.phone.logins, 2);
    const calls = [...a.phone.calls, ...b.phone.calls];
    const conflicts = calls.filter((c) => c.method === 'PUT' && c.status === 412).length;
    assert.ok(conflicts > 0, 'the devices did conflict (else the test proves nothing)');
  });

  it('honours Retry-After on a real 429 from the rate limiter, then succeeds', async () => {
    const { phone, client } = device('ratelimited');
    await client.login();
    const { token } = phone.storage.get('miniscale.session') as { token: string };
    // Spend the user's burst from outside the SDK, until the limiter refuses.
    let refused = false;
    for (let i = 0; i < USER_LIMIT_PER_MIN * 2 && !refused; i += 20) {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const res = await request(`${up.url}/v1/counters/sdk-rate`, { headers: { authorization: `Bearer ${token}` } });
          await res.body.dump();
          return res.statusCode;
        }),
      );
      refused = statuses.includes(429);
    }
    assert.ok(refused, 'the limiter refused');
    assert.equal(await client.counters.get('sdk-rate'), 0);
    const calls = phone.callsTo('GET', '/v1/counters/sdk-rate');
    const first429 = calls.findIndex((c) => c.status === 429);
    assert.ok(first429 >= 0, `the SDK met a 429: ${JSON.stringify(calls)}`);
    const refusal = calls[first429]!;
    const retry = calls[first429 + 1]!;
    const waitedMs = retry.startedAt - refusal.endedAt!;
    assert.ok(Number(refusal.retryAfter) >= 1, `Retry-After: ${refusal.retryAfter}`);
    assert.ok(waitedMs >= Number(refusal.retryAfter) * 1000 - 20, `retried after ${waitedMs} ms, Retry-After ${refusal.retryAfter} s`);
    assert.equal(calls.at(-1)!.status, 200);
    assert.ok(calls.length <= 3, 'at most 3 attempts');
  });

  it('a 429 whose Retry-After is over the cap fails at once with RATE_LIMITED, status and request id', async () => {
    const { phone, client } = device('ratecap', { retry: { maxRetryAfterMs: 100 } });
    await client.login();
    const { token } = phone.storage.get('miniscale.session') as { token: string };
    for (let i = 0; i < USER_LIMIT_PER_MIN * 2; i++) {
      const res = await request(`${up.url}/v1/counters/sdk-cap`, { headers: { authorization: `Bearer ${token}` } });
      await res.body.dump();
      if (res.statusCode === 429) break;
    }
    const err = await client.counters.get('sdk-cap').then(
      () => undefined,
      (e: unknown) => e as { code: string; status: number; requestId: string; name: string },
    );
    assert.equal(err?.code, 'RATE_LIMITED');
    assert.equal(err?.status, 429);
    assert.equal(err?.name, 'MiniscaleError');
    assert.match(err?.requestId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(phone.callsTo('GET', '/v1/counters/sdk-cap').length, 1);
  });

  it('does not replay an unsafe request whose connection was lost after it was sent; retries safe ones', async () => {
    let dropReads = 1;
    let dropPut = 0;
    const proxy = new DropProxy(
      new URL(up.url),
      (line) =>
        line === 'POST /v1/counters/sdk-lost' ||
        line === 'GET /v1/counters/sdk-lost-always' ||
        (line === 'GET /v1/counters/sdk-lost' && dropReads-- > 0) ||
        (line === 'PUT /v1/me/kv/sdk-lost-tally' && dropPut-- > 0),
    );
    const via = await proxy.listen();
    try {
      const { client } = device('lost', {}, via);
      await client.login();
      const err = await client.counters.incr('sdk-lost').then(
        () => undefined,
        (e: unknown) => e as { code: string; status: number },
      );
      assert.equal(err?.code, 'NETWORK');
      assert.equal(err?.status, 0);
      assert.equal(proxy.count('POST /v1/counters/sdk-lost'), 1, 'sent once, not replayed');
      // The server did apply it: the client was right not to send it again. The GET's
      // first answer is dropped too; a read is retried and the second one arrives.
      assert.equal(await client.counters.get('sdk-lost'), 1);
      assert.equal(proxy.count('GET /v1/counters/sdk-lost'), 2);
      const always = await client.counters.get('sdk-lost-always').then(
        () => undefined,
        (e: unknown) => e as { code: string },
      );
      assert.equal(always?.code, 'NETWORK');
      assert.equal(proxy.count('GET /v1/counters/sdk-lost-always'), 3, 'at most 3 attempts');
      // A conditional write is replayed; when the replay finds the version moved, that
      // may be its own first write, so kv.update fails as uncertain instead of applying
      // its function a second time.
      await client.kv.set('sdk-lost-tally', 1);
      dropPut = 1;
      const update = await client.kv
        .update<number>('sdk-lost-tally', (n) => (n ?? 0) + 1)
        .then(
          () => undefined,
          (e: unknown) => e as { code: string; message: string },
        );
      assert.equal(update?.code, 'NETWORK');
      assert.match(update?.message ?? '', /may have been applied/);
      assert.equal(proxy.count('PUT /v1/me/kv/sdk-lost-tally'), 3, 'the set, the dropped write and its replay');
      assert.equal((await client.kv.get<number>('sdk-lost-tally'))?.value, 2, 'applied once');
    } finally {
      await proxy.close();
    }
  });

  it('sends again an unsafe request that never left (connection refused), backing off', async () => {
    const { phone, client } = device('refused');
    await client.login();
    const port = await freePort();
    const proxy = new DropProxy(new URL(up.url), () => false);
    const direct = device('refused', {}, `http://127.0.0.1:${port}`);
    direct.phone.storage.set('miniscale.session', phone.storage.get('miniscale.session'));
    const incr = direct.client.counters.incr('sdk-refused');
    // Open the port once the first attempt has been refused.
    while (!direct.phone.calls.some((c) => c.errMsg)) await sleep(5);
    await proxy.listen(port);
    try {
      assert.equal(await incr, 1);
      const attempts = direct.phone.callsTo('POST', '/v1/counters/sdk-refused');
      assert.match(attempts[0]!.errMsg ?? '', /ERR_CONNECTION_REFUSED/);
      assert.equal(attempts.at(-1)!.status, 200);
      assert.ok(attempts[1]!.startedAt - attempts[0]!.endedAt! >= 100, 'backed off before trying again');
    } finally {
      await proxy.close();
    }
  });

  it('a request with no answer within timeoutMs fails with TIMEOUT: a read after 3 attempts, a write after 1', async () => {
    const signedIn = device('silent');
    await signedIn.client.login();
    // Takes connections and the requests on them, and never answers.
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      held.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { phone, client } = device(
        'silent',
        { timeoutMs: 300, retry: { baseDelayMs: 10 } },
        `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
      );
      phone.storage.set('miniscale.session', signedIn.phone.storage.get('miniscale.session'));
      const read = await client.counters.get('sdk-silent').then(
        () => undefined,
        (e: unknown) => e as { code: string; status: number },
      );
      assert.deepEqual([read?.code, read?.status], ['TIMEOUT', 0]);
      assert.equal(phone.callsTo('GET', '/v1/counters/sdk-silent').length, 3);
      const write = await client.counters.incr('sdk-silent').then(
        () => undefined,
        (e: unknown) => e as { code: string },
      );
      assert.equal(write?.code, 'TIMEOUT');
      assert.equal(phone.callsTo('POST', '/v1/counters/sdk-silent').length, 1, 'a write that may have arrived is not sent again');
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('kv, public kv, counters and leaderboards answer with the API data; failures carry code, status and requestId; logout revokes', async () => {
    const { phone, client } = device('resources');
    assert.equal(await client.kv.get('absent'), null);
    const first = await client.kv.set('profile', { name: 'Ada', tags: ['x'] }, { ttl: 3600 });
    assert.deepEqual(first.value, { name: 'Ada', tags: ['x'] });
    assert.ok(first.expiresAt !== null);
    const conflict = await client.kv.set('profile', {}, { ifVersion: first.version + 1000 }).then(
      () => undefined,
      (e: unknown) => e as { code: string; status: number; requestId: string },
    );
    assert.equal(conflict?.code, 'VERSION_CONFLICT');
    assert.equal(conflict?.status, 412);
    assert.ok(conflict?.requestId);
    assert.equal((await client.kv.set('profile', 'v2', { ifVersion: first.version })).value, 'v2');
    assert.equal(await client.kv.set('profile', 'v3', { ifAbsent: true }).catch((e: { code: string }) => e.code), 'VERSION_CONFLICT');
    assert.equal(await client.kv.delete('profile'), true);
    assert.equal(await client.kv.delete('profile'), false);
    const bad = await client.kv.get('no spaces allowed').catch((e: { code: string; status: number }) => e);
    assert.deepEqual([(bad as { code: string }).code, (bad as { status: number }).status], ['VALIDATION_FAILED', 400]);

    assert.equal(await client.publicKv.get('sdk-public'), null);
    assert.equal(await client.counters.incr('sdk-res', 5), 5);
    assert.equal(await client.counters.get('sdk-res'), 5);

    assert.equal(await client.boards.me('sdk-board'), null);
    assert.deepEqual(plain(await client.boards.submit('sdk-board', 40)), { score: 40, rank: 1 });
    assert.deepEqual(plain(await client.boards.submit('sdk-board', 10)), { score: 40, rank: 1 });
    assert.deepEqual(plain(await client.boards.submit('sdk-board', 10, { mode: 'set' })), { score: 10, rank: 1 });
    const top = await client.boards.top('sdk-board', 5);
    assert.equal(top.length, 1);
    assert.equal(top[0]?.openid, client.openid);
    assert.deepEqual(plain(await client.boards.me('sdk-board')), { score: 10, rank: 1 });

    const raw = await client.request<{ name: string; value: number }>({ method: 'GET', path: '/v1/counters/sdk-res' });
    assert.equal(raw.status, 200);
    assert.deepEqual(plain(raw.data), { name: 'sdk-res', value: 5 });
    const { token } = phone.storage.get('miniscale.session') as { token: string };
    await client.logout();
    assert.equal(client.openid, undefined);
    assert.equal(phone.storage.has('miniscale.session'), false);
    const revoked = await request(`${up.url}/v1/counters/sdk-res`, { headers: { authorization: `Bearer ${token}` } });
    await revoked.body.dump();
    assert.equal(revoked.statusCode, 401, 'the token is revoked on the server');
    await client.logout(); // signed out already: nothing to do
  });

  it('phone, decrypt and checkText answer with what WeChat (the emulator) gave the server', async () => {
    const { client } = device('wechat');
    assert.deepEqual(plain(await client.phone('devphone:86-13800138000')), {
      phoneNumber: '13800138000',
      purePhoneNumber: '13800138000',
      countryCode: '86',
    });
    const used = await client.phone('devphone:86-13800138000').catch((e: { code: string; status: number }) => e);
    assert.deepEqual([(used as { code: string }).code, (used as { status: number }).status], ['WECHAT_CODE_INVALID', 400]);
    // The emulator plays WeChat's client: it encrypts with the session_key of this user's login.
    const sealed = await request(`${emulatorUrl()}/_emulator/encrypt`, {
      method: 'POST',
      body: JSON.stringify({ openid: client.openid, data: { nickName: 'Ada', steps: [1, 2] } }),
    });
    const { encryptedData, iv, rawData, signature } = (await sealed.body.json()) as Record<string, string>;
    assert.deepEqual(plain(await client.decrypt(encryptedData!, iv!)), { nickName: 'Ada', steps: [1, 2] });
    assert.deepEqual(plain(await client.decrypt(encryptedData!, iv!, { rawData, signature })), { nickName: 'Ada', steps: [1, 2] });
    const forged = await client.decrypt(encryptedData!, iv!, { rawData: `${rawData} `, signature }).catch((e: { code: string }) => e.code);
    assert.equal(forged, 'SIGNATURE_INVALID');
    assert.equal((await client.checkText('hello')).suggest, 'pass');
    assert.equal((await client.checkText('a [risky] text', { scene: 3 })).suggest, 'risky');
  });

  it('the example mini program signs in, saves a note, counts taps and shows the leaderboard', async () => {
    const phone = new WxOverHttp('example');
    devices.push(phone);
    const page = loadExamplePage(phone.wx, { baseUrl: up.url, devUser: 'example' });
    await page.onLoad();
    assert.equal(page.data.error, '');
    assert.match(String(page.data.openid), /\S{8,}/);
    page.onDraft({ detail: { value: 'hello' } });
    await page.saveNote();
    await page.tap();
    await page.tap();
    assert.equal(page.data.error, '');
    assert.equal(page.data.note, 'hello');
    assert.equal(page.data.myTaps, 2);
    assert.deepEqual(plain(page.data.leaders), [{ rank: 1, who: 'you', score: 2 }]);
    // A second device of the same user saved meanwhile: the first one's save over the
    // version it showed is refused, not silently overwritten.
    const other = device('example');
    await other.client.kv.set('note', 'from the other device');
    page.onDraft({ detail: { value: 'stale' } });
    await page.saveNote();
    assert.match(String(page.data.error), /^VERSION_CONFLICT/);
    await page.refresh();
    page.onDraft({ detail: { value: 'a [risky] note' } });
    await page.saveNote();
    assert.match(String(page.data.error), /^Not saved/);
    assert.equal((await other.client.kv.get('note'))?.value, 'from the other device');
  });
});

/** Objects made inside the SDK's vm context have that realm's prototypes; compare their data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
