/** Which Host names the admin endpoints treat as loopback. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost } from '../../src/gateway/admin/routes.js';

describe('admin: loopback host', () => {
  it('is localhost, 127.x or [::1], with or without a port, and nothing else', () => {
    for (const h of ['localhost', 'LOCALHOST:8080', '127.0.0.1', '127.8.9.10:80', '[::1]', '[::1]:8080'])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of [
      undefined,
      '',
      'evil.example',
      'evil.example:8080',
      '127.0.0.1.evil.example',
      'localhost.evil',
      '10.0.0.1',
      '[::2]:80',
      '1270.0.0.1',
    ]) {
      assert.equal(isLoopbackHost(h), false, String(h));
    }
  });
});
