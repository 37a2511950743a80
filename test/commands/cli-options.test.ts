/**
 * The flag parsers every `miniscale` command shares: what each accepts, and that a
 * refusal is commander's InvalidArgumentError naming the flag and the range (commander
 * turns it into a one-line usage error). Starts no process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { collect, integerIn, nonEmpty, numberIn, port, seconds } from '../../src/commands/cli-options.js';

function refusal(parse: (raw: string) => unknown, raw: string): string {
  try {
    parse(raw);
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, `${raw}: ${String(err)}`);
    return err.message;
  }
  assert.fail(`"${raw}" was accepted`);
}

describe('integerIn', () => {
  const parse = integerIn('--nodes', 1, 64);

  it('accepts decimal integers within the range, bounds included, surrounding blanks ignored', () => {
    assert.equal(parse('1'), 1);
    assert.equal(parse('64'), 64);
    assert.equal(parse(' 7 '), 7);
    assert.equal(parse('007'), 7);
  });

  it('refuses what Number() would take but is no plain integer: blank, hex, exponent, fraction, sign', () => {
    for (const raw of ['', '  ', '0x10', '1e1', '7.5', '-1', '+3', 'two', '5s']) {
      assert.equal(refusal(parse, raw), '--nodes must be an integer from 1 to 64', raw);
    }
  });

  it('refuses values outside the range', () => {
    assert.equal(refusal(parse, '0'), '--nodes must be an integer from 1 to 64');
    assert.equal(refusal(parse, '65'), '--nodes must be an integer from 1 to 64');
  });

  it('refuses integers beyond what a double holds exactly, whatever the range', () => {
    assert.match(refusal(integerIn('--max-body', 0, Number.MAX_VALUE), '9007199254740993'), /--max-body must be an integer/);
  });

  it('appends the reason for the range when given', () => {
    assert.equal(
      refusal(integerIn('--port', 1, 55530, 'room for the bus ports'), '55531'),
      '--port must be an integer from 1 to 55530 (room for the bus ports)',
    );
  });
});

describe('port', () => {
  it('accepts 0 (any free port) to 65535 and refuses the rest', () => {
    const parse = port('--port');
    assert.equal(parse('0'), 0);
    assert.equal(parse('65535'), 65535);
    assert.equal(refusal(parse, '65536'), '--port must be an integer from 0 to 65535');
    assert.equal(refusal(parse, 'http'), '--port must be an integer from 0 to 65535');
  });
});

describe('numberIn', () => {
  const parse = numberIn('--hash-balance', 1, 100);

  it('accepts fractions and exponents within the range', () => {
    assert.equal(parse('1.25'), 1.25);
    assert.equal(parse('1e2'), 100);
  });

  it('refuses blank, non-finite and out-of-range values', () => {
    for (const raw of ['', ' ', 'Infinity', 'NaN', 'abc', '0.99', '100.5']) {
      assert.equal(refusal(parse, raw), '--hash-balance must be a number from 1 to 100', raw);
    }
  });
});

describe('seconds', () => {
  const parse = seconds('--interval', 0.2, 3600);

  it('accepts fractions of a second within the range', () => {
    assert.equal(parse('0.2'), 0.2);
    assert.equal(parse('3600'), 3600);
  });

  it('says the unit when it refuses', () => {
    assert.equal(refusal(parse, '0'), '--interval must be a number of seconds from 0.2 to 3600');
    assert.equal(refusal(parse, ''), '--interval must be a number of seconds from 0.2 to 3600');
  });
});

describe('nonEmpty', () => {
  it('passes a value through unchanged and refuses a blank one', () => {
    assert.equal(nonEmpty('--appid')(' wx1 '), ' wx1 ');
    assert.equal(refusal(nonEmpty('--appid'), '  '), '--appid must not be empty');
  });
});

describe('collect', () => {
  it('adds each occurrence of a repeatable flag, starting from nothing when there is no default', () => {
    assert.deepEqual(collect('a'), ['a']);
    assert.deepEqual(collect('b', ['a']), ['a', 'b']);
  });
});
