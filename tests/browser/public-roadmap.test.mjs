// The public roadmap in a real browser, signed out: the demo council's
// published projects grouped by theme and stage in plain English, with what
// each changes for residents and no internal data; the open-data links;
// axe-core finds no violations; a screenshot is taken (kept with
// PORTFOLIO_SCREENSHOTS=1 as docs/screenshots/public-roadmap.png). Then,
// signed in, the register's downloads: the XLSX link keeps the filter and
// sends a workbook named after the council and the date.
//
//   node --test tests/browser/public-roadmap.test.mjs

import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { REPO_ROOT, assertNoAxeViolations, launchBrowser, newPage, signIn, startServer, visit } from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('public-roadmap');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('anyone can read the public roadmap, and it holds only what is public', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await visit(page, '/public/northmere/roadmap');
    assert.equal((await page.locator('h1').innerText()).trim(), 'What we are working on');
    assert.match(await page.locator('.govuk-caption-l').innerText(), /Northmere County Council/);
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'signed out');
    const projects = page.locator('.app-roadmap-project');
    assert.ok((await projects.count()) > 5, 'published projects are listed');
    const themes = await page.locator('section h2').allInnerTexts();
    assert.ok(themes.length > 1, 'grouped by theme');
    const stages = await page.locator('section h3').allInnerTexts();
    for (const s of stages) {
      assert.ok(['Being explored', 'Being designed', 'Being delivered', 'Now available', 'Paused'].includes(s.trim()), `plain stage: ${s}`);
    }
    const text = await page.locator('main').innerText();
    assert.ok(text.includes('You can'), 'what changes for residents is shown');
    assert.ok(!text.includes('£'), 'no costs');
    assert.ok(!/Amber|Green|Red\b/.test(text), 'no delivery confidence');
    assert.match(text, /\d{4}\/\d{2} Q[1-4]/, 'dates as financial quarters');

    // Open data, linked from the page.
    const json = await page.request.get(await page.getByRole('link', { name: 'JSON', exact: true }).getAttribute('href'));
    assert.equal(json.status(), 200);
    const doc = await json.json();
    assert.equal(doc.projects.length, await page.locator('.app-roadmap-project').evaluateAll(
      (items) => new Set(items.map((i) => i.dataset.code)).size,
    ), 'the JSON has the projects the page shows');
    assert.ok(json.headers().etag.startsWith('"'));

    await assertNoAxeViolations(page, 'public roadmap');
    const dir = process.env.PORTFOLIO_SCREENSHOTS === '1'
      ? path.join(REPO_ROOT, 'docs', 'screenshots')
      : mkdtempSync(path.join(tmpdir(), 'portfolio-roadmap-'));
    const file = path.join(dir, 'public-roadmap.png');
    await page.screenshot({ path: file, fullPage: false });
    assert.ok(statSync(file).size > 10_000, 'the screenshot has content');
    console.log(`screenshot: ${file}`);

    await visit(page, '/public/nowhere/roadmap', 404);
    assert.match(await page.locator('main').innerText(), /no public roadmap at this address/);
    await assertNoAxeViolations(page, 'unknown roadmap');
  } finally {
    await page.context().close();
  }
});

test('the register downloads as a spreadsheet under its filter', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL, { acceptDownloads: true });
  try {
    await signIn(page, server.password);
    await visit(page, '/projects?stage=delivery');
    const link = page.locator('#download-xlsx');
    assert.match(await link.getAttribute('href'), /\/projects\.xlsx\?stage=delivery/);
    await assertNoAxeViolations(page, 'register with downloads');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(download.suggestedFilename(), `northmere-register-${today}.xlsx`);
    const saved = await download.path();
    assert.ok(statSync(saved).size > 2_000, 'a workbook was sent');

    await visit(page, '/raid');
    assert.ok((await page.locator('#download-xlsx').count()) === 1, 'the RAID page links its XLSX');
    await visit(page, '/decisions');
    assert.ok((await page.locator('#download-xlsx').count()) === 1, 'the decision log links its XLSX');
    await assertNoAxeViolations(page, 'decision log with downloads');
    await visit(page, '/');
    await page.locator('#public-roadmap-link').click();
    await page.waitForURL('**/public/northmere/roadmap');
  } finally {
    await page.context().close();
  }
});
