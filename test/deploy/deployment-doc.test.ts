/**
 * docs/deployment.md: every `miniscale` command line in it (code blocks and inline code,
 * and `node dist/cli.js` ones) is accepted by the CLI; those of `up` and `gateway` use
 * the flags the simulation runs them with, plus the few the document adds on purpose;
 * the ones the several-machines recipe rests on are there; and its links lead somewhere.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/processes.js';
import { assertCliAccepts, shellWords } from './cli-check.js';

const DOC = path.join(REPO_ROOT, 'docs/deployment.md');
const text = readFileSync(DOC, 'utf8');

/**
 * Flags the document may add to the sim's `up`/`gateway` command lines: the hop of trust
 * the sim has no TLS terminator for, and the data directory's place under systemd.
 */
const BEYOND_THE_SIM = new Set(['--trust-proxy', '--data', '--watch']);

/** The lines of the fenced code blocks, continuations joined and comments dropped. */
function codeLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^ *```\w*\n([\s\S]*?)^ *```/gm)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) lines.push(line.replace(/\s#\s.*$/, '').trim());
  }
  return lines.filter((l) => l !== '');
}

/** `miniscale …` in inline code outside the code blocks. */
function inlineCommands(markdown: string): string[] {
  const prose = markdown.replace(/^ *```\w*\n[\s\S]*?^ *```/gm, '');
  return [...prose.matchAll(/`(miniscale [^`]+)`/g)].map((m) => m[1]!);
}

/**
 * The arguments after `miniscale` (first word, after any VAR=value) or after a word
 * ending in dist/cli.js; null when the line runs something else.
 */
function miniscaleArgs(words: string[]): string[] | null {
  const cli = words.findIndex((w) => w.endsWith('dist/cli.js'));
  if (cli >= 0) return words.slice(cli + 1);
  const first = words.findIndex((w) => !/^\w+=/.test(w));
  return words[first] === 'miniscale' ? words.slice(first + 1) : null;
}

/** The flags bench/sim/machines.ts passes to the CLI. */
function simFlags(): Set<string> {
  const source = readFileSync(path.join(REPO_ROOT, 'bench/sim/machines.ts'), 'utf8');
  return new Set([...source.matchAll(/'(--[a-z-]+)'/g)].map((m) => m[1]!));
}

const commands = [...codeLines(text), ...inlineCommands(text)]
  .map((line) => miniscaleArgs(shellWords(line)))
  .filter((args): args is string[] => args !== null && args.length > 0);

/** GitHub's anchor of a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

describe('docs/deployment.md', () => {
  it("shows the app machine's and the gateway's commands of the several-machines path", () => {
    assert.ok(
      commands.some((c) => c[0] === 'up' && c.includes('--advertise') && c.includes('redis-cluster')),
      'no `miniscale up --store redis-cluster --advertise`',
    );
    assert.ok(
      commands.some((c) => c[0] === 'gateway' && c.includes('--discover') && c.includes('redis-cluster')),
      'no `miniscale gateway --discover --store redis-cluster`',
    );
    assert.match(text, /MINISCALE_STORE_WAIT_REPLICAS=1/);
    assert.match(text, /\/_gateway\/upstreams\/[^/\s]+\/drain/);
  });

  it('every miniscale command line in it is one the CLI accepts', async () => {
    await assertCliAccepts(commands);
  });

  it('its up and gateway lines use the flags the simulation runs them with', () => {
    const sim = simFlags();
    assert.ok(sim.has('--advertise') && sim.has('--discover'), `could not read the sim's flags: ${[...sim].join(' ')}`);
    for (const c of commands.filter((c) => c[0] === 'up' || c[0] === 'gateway')) {
      const extra = c.filter((w) => w.startsWith('--') && !sim.has(w) && !BEYOND_THE_SIM.has(w));
      assert.deepEqual(extra, [], `miniscale ${c.join(' ')}: flags the sim does not run`);
    }
  });

  it('every seed list in it names the same three primaries, one per machine', () => {
    const seeds = new Set([...text.matchAll(/redis:\/\/[\d.]+:\d+(?:,redis:\/\/[\d.]+:\d+)+/g)].map((m) => m[0]));
    assert.equal(seeds.size, 1, `different seed lists: ${[...seeds].join(' | ')}`);
    const hosts = [...seeds][0]!.split(',').map((u) => new URL(u).hostname);
    assert.equal(new Set(hosts).size, hosts.length, 'two seeds on one machine');
  });

  it('its relative links lead to files and headings that exist', () => {
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [file, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = file === '' ? DOC : path.resolve(path.dirname(DOC), file);
      assert.ok(existsSync(resolved), `link ${target}: no such file`);
      if (anchor === undefined) continue;
      const headings = readFileSync(resolved, 'utf8')
        .split('\n')
        .filter((l) => /^#+ /.test(l))
        .map((l) => slug(l.replace(/^#+ /, '')));
      assert.ok(headings.includes(anchor), `link ${target}: no such heading in ${path.relative(REPO_ROOT, resolved)}`);
    }
  });
});
