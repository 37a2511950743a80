/**
 * deploy/Dockerfile: built and started when a Docker daemon answers; otherwise (and
 * always) its structure is checked — a multi-stage build whose runtime stage has only
 * production dependencies, runs as a non-root user, probes /readyz and runs dist/cli.js
 * with a command line the CLI accepts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../support/processes.js';
import { assertCliAccepts } from './cli-check.js';
import { all, execForm, readDockerfile, type Stage } from './dockerfile.js';

const DOCKERFILE = path.join(REPO_ROOT, 'deploy/Dockerfile');
const stages = readDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const runtime = stages.at(-1)!;
const builders = stages.slice(0, -1);

function workdir(stage: Stage): string {
  return all(stage, 'WORKDIR').at(-1)?.args ?? '/';
}

/** COPY's sources and destination, its --from flag apart. */
function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const rest = words.filter((w) => !w.startsWith('--'));
  return { from, sources: rest.slice(0, -1), dest: rest.at(-1)! };
}

describe('deploy/Dockerfile, linted', () => {
  it('has a named build stage and a runtime stage from a Node 20 image', () => {
    assert.ok(stages.length >= 2, `expected a multi-stage build, found ${stages.length} stage(s)`);
    for (const s of stages) assert.match(s.base, /^node:20[-.\w]*$/, `stage ${s.name ?? '?'} is FROM ${s.base}`);
    assert.ok(
      builders.every((s) => s.name),
      'every stage before the last is named (COPY --from names it)',
    );
  });

  it('the build stage installs every dependency with npm ci (workspaces included) and compiles dist/', () => {
    const build = builders.find((s) => all(s, 'RUN').some((r) => /\bnpm ci\b/.test(r.args)));
    assert.ok(build, 'no stage runs npm ci');
    const ci = build.instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    const copiedBefore = build.instructions
      .slice(0, ci)
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => copyParts(i.args).sources);
    // npm ci refuses a lock file whose workspaces are missing: each one's package.json must be there.
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] };
    for (const needed of ['package.json', 'package-lock.json', ...(pkg.workspaces ?? []).map((w) => `${w}/package.json`)]) {
      assert.ok(copiedBefore.includes(needed), `${needed} is not copied before npm ci`);
    }
    // The postinstall script (the lmdb engine build) runs during npm ci.
    assert.ok(
      copiedBefore.some((s) => s === 'scripts' || s.startsWith('scripts/')),
      'scripts/ (postinstall) is not copied before npm ci',
    );
    assert.ok(
      all(build, 'RUN').some((r) => /tsc -p tsconfig\.build\.json|npm run build/.test(r.args)),
      'nothing compiles dist/',
    );
    assert.ok(
      all(build, 'RUN').some((r) => /npm prune --omit=dev/.test(r.args)),
      'dev dependencies are not pruned before node_modules is copied to the runtime',
    );
  });

  it('every file the build copies from the context exists and is not in .dockerignore', () => {
    const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.replace(/^\*\*\//, ''));
    for (const stage of builders) {
      for (const copy of all(stage, 'COPY')
        .map((c) => copyParts(c.args))
        .filter((c) => !c.from)) {
        for (const src of copy.sources) {
          assert.ok(existsSync(path.join(REPO_ROOT, src)), `COPY ${src}: no such file in the repository`);
          const hit = ignored.find((p) => src === p || src.startsWith(`${p}/`) || src.split('/').includes(p));
          assert.equal(hit, undefined, `COPY ${src} is excluded by .dockerignore (${hit})`);
        }
      }
    }
  });

  it('the runtime stage copies package.json, node_modules and dist/ from a build stage, and builds nothing', () => {
    const names = new Set(builders.map((s) => s.name));
    const copied = all(runtime, 'COPY').map((c) => copyParts(c.args));
    const wd = workdir(runtime);
    for (const what of ['package.json', 'node_modules', 'dist']) {
      const c = copied.find((p) => p.sources.some((s) => path.posix.basename(s) === what));
      assert.ok(c, `the runtime stage does not copy ${what}`);
      assert.ok(c.from && names.has(c.from), `${what} is copied from "${c.from}", not from a build stage`);
      assert.equal(path.posix.resolve(wd, c.dest), path.posix.join(wd, what), `${what} lands in ${c.dest}, not in ${wd}`);
    }
    for (const r of all(runtime, 'RUN'))
      assert.doesNotMatch(r.args, /npm (ci|install)|build-essential|tsc/, `the runtime stage builds: RUN ${r.args}`);
  });

  it('the runtime runs as a user that is not root', () => {
    const user = all(runtime, 'USER').at(-1)?.args;
    assert.ok(user, 'no USER in the runtime stage: it would run as root');
    assert.doesNotMatch(user, /^(root|0)(:|$)/, `USER ${user}`);
  });

  it('has a HEALTHCHECK that probes /readyz', () => {
    const checks = all(runtime, 'HEALTHCHECK');
    assert.equal(checks.length, 1, 'one HEALTHCHECK in the runtime stage');
    const m = /^((?:--\S+\s+)*)CMD\s+(.*)$/.exec(checks[0]!.args);
    assert.ok(m, `HEALTHCHECK ${checks[0]!.args}: expected [OPTIONS] CMD ...`);
    assert.match(m[2]!, /\/readyz/);
    const cmd = execForm(m[2]!);
    assert.ok(cmd, 'HEALTHCHECK CMD in exec form: the image has a shell, but the probe should not need one');
    assert.equal(cmd[0], 'node', 'the slim image has no curl or wget: the probe uses node');
  });

  it('CMD runs dist/cli.js with a command line the CLI accepts', async () => {
    const cmd = all(runtime, 'CMD').at(-1);
    assert.ok(cmd, 'no CMD');
    const argv = execForm(cmd.args);
    assert.ok(argv, `CMD ${cmd.args}: expected the exec form, so SIGTERM reaches node`);
    assert.deepEqual(argv.slice(0, 2), ['node', 'dist/cli.js']);
    await assertCliAccepts([argv.slice(2)]);
    const stop = all(runtime, 'STOPSIGNAL').at(-1)?.args ?? 'SIGTERM';
    assert.equal(stop, 'SIGTERM', 'miniscale drains on SIGTERM');
  });
});

function docker(args: string[], timeoutMs: number): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const dockerWorks = docker(['info'], 10_000).status === 0;

describe('deploy/Dockerfile, built and started', { skip: dockerWorks ? false : 'no Docker daemon answers `docker info`' }, () => {
  const tag = `miniscale-test:${process.pid}`;
  const name = `miniscale-test-${process.pid}`;
  after(() => {
    docker(['rm', '-f', name], 30_000);
    docker(['image', 'rm', '-f', tag], 30_000);
  });

  it('builds, starts as a non-root user and turns healthy', { timeout: 15 * 60_000 }, async () => {
    const build = docker(['build', '-f', 'deploy/Dockerfile', '-t', tag, '.'], 14 * 60_000);
    assert.equal(build.status, 0, `docker build failed: ${build.stderr.slice(-3000)}`);
    const run = docker(['run', '-d', '--name', name, '-e', 'MINISCALE_ADMIN_KEY=deploy-test-admin-key-0123456789', tag], 60_000);
    assert.equal(run.status, 0, `docker run failed: ${run.stderr}`);
    const uid = docker(['exec', name, 'id', '-u'], 30_000).stdout.trim();
    assert.notEqual(uid, '0', 'the container runs as root');
    const deadline = Date.now() + 120_000;
    let health = '';
    while (Date.now() < deadline) {
      health = docker(['inspect', '--format', '{{.State.Health.Status}}', name], 30_000).stdout.trim();
      if (health === 'healthy' || health === 'unhealthy') break;
      await sleep(2_000);
    }
    assert.equal(health, 'healthy', `health ${health}; logs: ${docker(['logs', name], 30_000).stderr.slice(-3000)}`);
  });
});
