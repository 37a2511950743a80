import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sessions } from '../../src/api/auth/sessions.js';
import { openStore, type Store } from '../../src/store/index.js';

describe('sessions', () => {
  let dir: string;
  let store: Store;
  let sessions: Sessions;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-sessions-'));
    store = await openStore({ driver: 'embedded', dir });
    sessions = new Sessions(store, 3600);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolveNow answers at once on a store that reads locally, as resolve does', async () => {
    const { token } = await sessions.create({ openid: 'o-now', sessionKey: 'sk' });
    const now = sessions.resolveNow(token);
    assert.deepEqual(now, await sessions.resolve(token));
    assert.equal(now?.openid, 'o-now');
    assert.equal(sessions.resolveNow('x'.repeat(43)), null, 'unknown token');
    assert.equal(sessions.resolveNow('not a token'), null, 'malformed token');
  });

  it('a revoked token is refused on the very next read, however often it resolved before', async () => {
    const { token } = await sessions.create({ openid: 'o-revoked', sessionKey: 'sk' });
    for (let i = 0; i < 3; i++) assert.equal(sessions.resolveNow(token)?.openid, 'o-revoked');
    // Revoked through another Sessions (as another node would), straight in the store.
    assert.equal(await new Sessions(store, 3600).revoke(token), true);
    assert.equal(sessions.resolveNow(token), null);
    assert.equal(await sessions.resolve(token), null);
  });

  it('the session handed out is the stored record, frozen since requests share it', async () => {
    const { token } = await sessions.create({ openid: 'o-frozen', sessionKey: 'sk', unionid: 'u' });
    const session = sessions.resolveNow(token)!;
    assert.ok(Object.isFrozen(session));
    assert.deepEqual({ ...session, createdAt: 0 }, { openid: 'o-frozen', sessionKey: 'sk', unionid: 'u', createdAt: 0 });
  });

  it('resolveNow is undefined when the store must be awaited', async () => {
    // Only what Sessions uses, as a store that reads over the network answers it.
    const remote = { set: store.set.bind(store), getJson: store.getJson.bind(store), getJsonNow: () => undefined } as unknown as Store;
    const { token } = await new Sessions(remote, 3600).create({ openid: 'o-remote', sessionKey: 'sk' });
    assert.equal(new Sessions(remote, 3600).resolveNow(token), undefined);
    assert.equal((await new Sessions(remote, 3600).resolve(token))?.openid, 'o-remote');
  });
});
