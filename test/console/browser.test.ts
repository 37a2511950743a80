/**
 * The console page in a real browser (headless Chromium) against a running `up` (one
 * hop, three workers) with traffic: one row per worker, charts with points, a drain and
 * an undrain from the page's buttons (each confirmed), a screenshot kept in
 * test-artifacts/console.png. Then over a non-loopback address: refused without the
 * admin key, working with it from the URL fragment or the page's form.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { killAllUp, startUp, stopUp, waitFor, type UpHandle } from '../support/up.js';
import { ARTIFACTS, busy, launchChromium, nonLoopbackAddress, readStats, statsUntil, traffic } from './helpers.js';

const ADMIN_KEY = 'console-test-admin-key-0123456789';
const WORKERS = 3;

describe('the console page in Chromium, against `up` with traffic', { timeout: 180_000 }, () => {
  let dir: string;
  let up: UpHandle;
  let browser: Browser;
  let load: { stop(): Promise<number> };
  let remote: { address: string; release(): void };
  let port: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-console-'));
    remote = nonLoopbackAddress();
    // On every address, so the same system is reachable over the loopback and the other address.
    up = await startUp(['--nodes', String(WORKERS), '--data', dir, '--host', '0.0.0.0'], { MINISCALE_ADMIN_KEY: ADMIN_KEY });
    port = new URL(up.url).port;
    load = traffic(up.url);
    browser = await launchChromium();
    await statsUntil(up.url, 'every worker busy', (r) => r.rows.length === WORKERS && r.rows.every((row) => (row.now.rps ?? 0) > 0));
  });

  after(async () => {
    await load?.stop();
    await browser?.close();
    if (up) await stopUp(up);
    killAllUp();
    remote?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Script errors of each page opened (a refused fetch's 403 is logged by Chromium, and expected). */
  const scriptErrors = new Map<Page, string[]>();

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    scriptErrors.set(page, errors);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/403/.test(m.text())) errors.push(m.text());
    });
    await page.goto(url);
    return page;
  }

  async function close(page: Page): Promise<void> {
    await page.close();
    assert.deepEqual(scriptErrors.get(page), [], 'the page ran without script errors');
  }

  /** One row per worker, and no more. */
  async function allRows(page: Page): Promise<void> {
    await page
      .locator('#rows tr')
      .nth(WORKERS - 1)
      .waitFor();
    assert.equal(await page.locator('#rows tr').count(), WORKERS);
  }

  /** The overview chart of requests per second has drawn at least `n` points. */
  async function pointsAtLeast(page: Page, n: number): Promise<void> {
    await waitFor(
      `${n} points on the chart`,
      async () => Number(await page.locator('#chart-rps svg').getAttribute('data-points')) >= n,
      30_000,
    );
  }

  const rowState = (page: Page, nodeId: string) => page.locator(`#rows tr:has(button[data-ref="${nodeId}"])`).getAttribute('data-state');

  it('shows one row per worker and charts with points, then drains and undrains a worker from its button', async () => {
    const page = await open(`${up.url}/_gateway/`);
    await allRows(page);
    // Some seconds of every worker's traffic, so that the screenshot shows lines.
    await pointsAtLeast(page, WORKERS * 8);
    const ids = await page.locator('#rows tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('.id')!.textContent));
    assert.deepEqual(ids, ['worker 1', 'worker 2', 'worker 3']);
    for (const chart of ['#chart-rps', '#chart-p99']) {
      assert.ok(Number(await page.locator(`${chart} svg`).getAttribute('data-points')) >= WORKERS * 8, `${chart} has points`);
    }
    const sparks = await page
      .locator('#rows td.spark svg')
      .evaluateAll((svgs) => svgs.map((svg) => Number(svg.getAttribute('data-points'))));
    assert.ok(sparks.length === WORKERS && sparks.every((n) => n > 0), `every row's sparkline has points: ${sparks.join(', ')}`);
    assert.match(await page.locator('#store').innerText(), /embedded · ok · ping \d/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console.png'), fullPage: true });

    const target = (await readStats(up.url)).rows[1]!;
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.locator(`button[data-ref="${target.nodeId}"]`).click();
    await page.locator(`#rows tr[data-state="draining"]:has(button[data-ref="${target.nodeId}"])`).waitFor();
    assert.match(dialogs[0]!, /^Drain worker 2\?/);
    const view = (await (await request(`${up.url}/_gateway/upstreams`)).body.json()) as {
      upstreams: Array<{ nodeId: string; state: string }>;
    };
    assert.equal(view.upstreams.find((u) => u.nodeId === target.nodeId)!.state, 'draining', 'the admin API sees the drain');

    await page.locator(`button[data-ref="${target.nodeId}"][data-op="undrain"]`).click();
    await page.locator(`#rows tr[data-state="healthy"]:has(button[data-ref="${target.nodeId}"])`).waitFor();
    assert.match(dialogs[1]!, /^Undrain worker 2\?/);
    assert.equal(await rowState(page, target.nodeId!), 'healthy');
    await close(page);
  });

  it('a drain dismissed in the confirmation is not made', async () => {
    const page = await open(`${up.url}/_gateway/`);
    await allRows(page);
    const target = (await readStats(up.url)).rows[0]!;
    page.on('dialog', (d) => void d.dismiss());
    await page.locator(`button[data-ref="${target.nodeId}"]`).click();
    await page.waitForTimeout(1_500);
    assert.equal(await rowState(page, target.nodeId!), 'healthy');
    await close(page);
  });

  it(`over a non-loopback address: refused without the admin key`, async () => {
    const base = `http://${remote.address}:${port}`;
    const direct = await request(`${base}/_gateway/stats`);
    assert.equal(direct.statusCode, 403);
    assert.equal(((await direct.body.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
    const page = await open(`${base}/_gateway/`);
    await page.waitForSelector('#auth:not([hidden])');
    assert.match(await page.locator('#auth-msg').innerText(), /^Refused: .*admin key/);
    assert.equal(await page.locator('#rows tr').count(), 0, 'no worker is shown');
    // A wrong key is refused the same way.
    await page.fill('#key', 'not-the-admin-key-000000');
    await page.click('#key-form button');
    await page.waitForTimeout(1_200);
    assert.equal(await page.locator('#rows tr').count(), 0);
    assert.ok(await page.locator('#auth').isVisible());
    await close(page);
  });

  it('over a non-loopback address: works with the key from the URL fragment, which leaves the address bar', async () => {
    const page = await open(`http://${remote.address}:${port}/_gateway/#key=${ADMIN_KEY}`);
    await allRows(page);
    assert.equal(new URL(page.url()).hash, '', 'the key is not left in the address bar');
    assert.ok(await page.locator('#auth').isHidden());
    await pointsAtLeast(page, 1);
    await close(page);
  });

  it('over a non-loopback address: works with the key typed into the form', async () => {
    const page = await open(`http://${remote.address}:${port}/_gateway/`);
    await page.waitForSelector('#auth:not([hidden])');
    await page.fill('#key', ADMIN_KEY);
    await page.click('#key-form button');
    await allRows(page);
    assert.ok(await page.locator('#auth').isHidden());
    await close(page);
  });

  it('the page loads nothing from another origin (its CSP allows only itself)', async () => {
    const res = await request(`${up.url}/_gateway/`);
    const csp = String(res.headers['content-security-policy']);
    await res.body.dump();
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(busy(await readStats(up.url)));
  });
});
