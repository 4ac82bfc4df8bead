import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, runPrism } from '../support/cli.js';
import { requireBuild } from '../support/cli-checks.js';
import { writeReportFixture } from '../support/report-fixture.js';

/**
 * `prism ami report` seen in a real browser: Debian's chromium (scripts/install-deps.sh --with-browser), headless,
 * driven by playwright-core, opening the pages from file:// at 1280×800 with every request
 * other than file:// refused and recorded. Screenshots are kept in test-artifacts/.
 */
const CHROMIUM = process.env.PRISM_AMI_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const runnable = existsSync(CHROMIUM);
if (!runnable && process.env.PRISM_AMI_REQUIRE_E2E === '1')
  throw new Error(`${CHROMIUM} is missing: run scripts/install-deps.sh --with-browser`);
if (!runnable) console.warn(`skipping the report's browser test: ${CHROMIUM} is not installed`);

describe.runIf(runnable).sequential('the report in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  let site: string;
  let ids: Record<string, string>;
  let cwd: string;
  const external: string[] = [];

  beforeAll(async () => {
    requireBuild();
    cwd = await mkdtemp(join(tmpdir(), 'prism-report-browser-'));
    await cp(join(REPO_ROOT, 'templates'), join(cwd, 'templates'), { recursive: true });
    ({ ids } = await writeReportFixture(cwd));
    const result = await runPrism(['ami', 'report', '--out', 'site'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Wrote 5 pages to');
    site = join(cwd, 'site');
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  const open = (path: string) => page.goto(pathToFileURL(join(site, path)).href);
  /** The computed box-shadow of an element: how a marked cell is drawn. */
  const boxShadow = (selector: string) =>
    page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).boxShadow`);

  test('the matrix: a row per template and architecture, a column per region, the current images', async () => {
    await open('index.html');
    expect(await page.title()).toBe('Matrix · prism-ami');
    const rows = page.locator('table.matrix tbody tr');
    const keys: string[] = [];
    for (const row of await rows.all()) keys.push(`${await row.getAttribute('data-template')} ${await row.getAttribute('data-arch')}`);
    expect(keys).toEqual(['hello-web x86_64', 'python-research x86_64', 'r-research x86_64', 'r-research arm64']);
    expect(await page.locator('table.matrix thead th').allInnerTexts()).toEqual(['TEMPLATE', 'ARCH', 'EU-WEST-1', 'US-EAST-1', 'LOCAL']);
    const rUs = page.locator('tr[data-template="r-research"][data-arch="x86_64"] td[data-region="us-east-1"]');
    await expect.poll(() => rUs.innerText()).toContain(ids.r12);
    expect(await rUs.innerText()).toMatch(/1\.2\.0 · 5 days old · \$1\.20\/mo/);
    expect(await rUs.innerText()).toContain('validated');
    const rEu = page.locator('tr[data-template="r-research"][data-arch="x86_64"] td[data-region="eu-west-1"]');
    expect(await rEu.innerText()).toContain('1 revoked');
    expect(await page.locator('tr[data-template="python-research"] td[data-region="us-east-1"]').innerText()).toContain(
      '1 failed validation',
    );
    // Every cell is on screen at 1280 px: no horizontal scrolling.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(ARTIFACTS, 'report-matrix.png'), fullPage: true });
  });

  test('stale cells are marked: an old image, and a template changed since its image (drift)', async () => {
    const old = page.locator('tr[data-template="python-research"] td[data-region="us-east-1"]');
    expect(await old.getAttribute('class')).toContain('stale');
    await expect.poll(() => old.locator('[data-stale="age"]').isVisible()).toBe(true);
    expect(await old.locator('[data-stale="age"]').innerText()).toBe('stale: old');
    // Marked for the eye, not only in the markup: a coloured bar on the cell's edge.
    expect(await boxShadow('tr[data-template="python-research"] td[data-region="us-east-1"]')).not.toBe('none');
    const drift = page.locator('tr[data-template="hello-web"] td[data-region="local"]');
    expect(await drift.locator('[data-stale="drift"]').innerText()).toBe('template changed');
    // An image built from the template as it is now, and recent, is not marked.
    const fresh = page.locator('tr[data-template="r-research"][data-arch="arm64"] td[data-region="us-east-1"]');
    expect(await fresh.getAttribute('data-stale')).toBe('');
    expect(await boxShadow('tr[data-template="r-research"][data-arch="arm64"] td[data-region="us-east-1"]')).toBe('none');
    expect(await page.locator('.stat b').nth(2).innerText()).toBe('2');
  });

  test("a template's page: its history and the packages changed between consecutive images", async () => {
    await page.locator('a', { hasText: 'r-research' }).first().click();
    await page.waitForURL(/templates\/r-research\.html$/);
    expect(await page.locator('h1').innerText()).toBe('r-research');
    const change = page.locator(`details[data-from="${ids.r11}"][data-to="${ids.r12}"]`);
    expect(await change.locator('summary').innerText()).toContain('4 packages changed');
    const openssl = change.locator('tr.changed', { hasText: 'openssl' });
    expect(await openssl.isVisible()).toBe(true);
    expect((await openssl.innerText()).replace(/\s+/g, ' ')).toBe('changed openssl 3.0.11-1~deb12u2→3.0.13-1~deb12u1');
    expect(await change.locator('tr.added', { hasText: 'libcurl4' }).isVisible()).toBe(true);
    // The image from before manifests: shown as not recorded, not an error.
    const older = page.locator(`details[data-from="${ids.r10}"][data-to="${ids.r11}"]`);
    expect(await older.locator('summary').innerText()).toContain(`manifest not recorded for ${ids.r10}`);
    expect(await page.locator(`tr[data-image="${ids.r11eu}"]`).innerText()).toContain('CVE-2024-0001 in openssl');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(ARTIFACTS, 'report-template.png'), fullPage: true });
  });

  test('the timeline lists every image, newest first, and nothing was fetched from the network', async () => {
    await page.locator('nav a', { hasText: 'Timeline' }).click();
    await page.waitForURL(/timeline\.html$/);
    const items = await page.locator('.timeline li').allInnerTexts();
    expect(items).toHaveLength(9);
    expect(items[0]).toContain('hello-web');
    expect(items.at(-1)).toContain('failed-validation');
    await page.screenshot({ path: join(ARTIFACTS, 'report-timeline.png'), fullPage: true });
    expect(external).toEqual([]);
  });
});
