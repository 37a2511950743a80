import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { loadOrCreateAdminKey } from '../../src/local/admin-key-file.js';
import { createLogStream } from '../../src/local/log-stream.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-up-parts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('admin key file', () => {
  it('is generated once with mode 0600 and reused on the next start', () => {
    const first = loadOrCreateAdminKey(dir, undefined);
    assert.equal(first.file, path.join(dir, 'admin-key'));
    assert.ok(first.key.length >= 32);
    assert.equal(statSync(first.file).mode & 0o777, 0o600);
    assert.equal(readFileSync(first.file, 'utf8').trim(), first.key);
    assert.deepEqual(loadOrCreateAdminKey(dir, undefined), first);
  });

  it('MINISCALE_ADMIN_KEY wins and no file is involved', () => {
    assert.deepEqual(loadOrCreateAdminKey(dir, 'from-the-environment-123'), { key: 'from-the-environment-123', file: null });
  });
});

describe('log stream', () => {
  function capture(): { out: Writable; text: () => string } {
    let text = '';
    const out = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    return { out, text: () => text };
  }

  it('passes JSON lines through unchanged off a terminal and tags its own lines with the component', () => {
    const { out, text } = capture();
    const stream = createLogStream(false, out);
    stream.writeLine('{"level":30,"component":"node","nodeId":"n1","msg":"child line"}');
    stream.logger('up', 'info').info('own line');
    const lines = text().trim().split('\n');
    assert.equal(lines[0], '{"level":30,"component":"node","nodeId":"n1","msg":"child line"}');
    assert.equal(JSON.parse(lines[1]!).component, 'up');
    assert.equal(JSON.parse(lines[1]!).msg, 'own line');
  });

  it('pretty-prints JSON lines on a terminal and leaves other text as it is', () => {
    const { out, text } = capture();
    const stream = createLogStream(true, out);
    stream.writeLine('{"level":40,"time":0,"component":"node","msg":"slow store"}');
    stream.writeLine('plain text from a child');
    assert.match(text(), /WARN/);
    assert.match(text(), /slow store/);
    assert.doesNotMatch(text(), /"msg"/);
    assert.match(text(), /plain text from a child\n$/);
  });
});
