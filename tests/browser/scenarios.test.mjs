// Prioritisation scenarios in a real browser: the demo's scenarios run in the
// background when the demo starts; a person opens one, sees the recommended
// programme, the frontier chart and why projects wait, runs a new one (the run
// page shows the progress and a link to check it again), compares the
// two scenarios and reads a project's explanation. axe-core checks each page.
//
//   node --test tests/browser/scenarios.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  currentPath,
  launchBrowser,
  newPage,
  signIn,
  startServer,
  submitForm,
  visit,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('scenarios');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Reloads the scenario's page until its result is shown (bounded: 90 s). */
async function waitForResult(page, slug) {
  for (let i = 0; i < 90; i += 1) {
    await visit(page, `/scenarios/${slug}`);
    if ((await page.locator('caption', { hasText: 'Chosen projects' }).count()) > 0) return;
    await page.waitForTimeout(1000);
  }
  assert.fail(`the result of ${slug} did not appear within 90 seconds`);
}

test('the demo scenarios show explained programmes, a frontier chart and a comparison', { timeout: 300_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/scenarios');
    await assertNoAxeViolations(page, 'scenarios list');
    assert.equal(await page.locator('a', { hasText: 'Current funding' }).count(), 1);

    await waitForResult(page, 'current-funding');
    await waitForResult(page, 'with-recovery-investment');
    await visit(page, '/scenarios/current-funding');
    const chart = page.locator('figure.app-chart svg[role="img"]');
    assert.equal(await chart.count(), 1, 'the frontier chart is drawn');
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 200 && box.height > 100, `the chart has a size: ${JSON.stringify(box)}`);
    assert.ok((await page.locator('#frontier-desc').textContent()).includes('worth'), 'the chart has a text alternative');
    const waiting = page.locator('caption', { hasText: 'Projects that wait' });
    assert.equal(await waiting.count(), 1);
    await assertNoAxeViolations(page, 'scenario result');

    // The two scenarios differ, side by side.
    await visit(page, '/scenarios/compare?scenario=current-funding&scenario=with-recovery-investment');
    assert.ok((await page.locator('.govuk-tag', { hasText: 'Differs' }).count()) > 0, 'some projects differ');
    await assertNoAxeViolations(page, 'scenario comparison');

    // A project that waits says why on its own page.
    await visit(page, '/scenarios/current-funding');
    const firstWaiting = page.locator('table:has(caption:has-text("Projects that wait")) tbody tr a').first();
    const code = (await firstWaiting.textContent()).trim();
    await visit(page, `/projects/${code}`);
    assert.equal(await page.locator('#scenarios').count(), 1);
    assert.ok((await page.locator('#scenarios ~ dl').textContent()).includes('Waits'), `${code} is shown waiting`);
    await assertNoAxeViolations(page, 'project page with scenarios');
  } finally {
    await page.context().close();
  }
});

test('running a scenario shows its progress, then its result', { timeout: 300_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/scenarios/new');
    await assertNoAxeViolations(page, 'scenario form');
    await page.locator('#name').fill('One more developer');
    await page.locator('#pool-developers').fill('1');
    await submitForm(page, 'Save the scenario');
    assert.equal(currentPath(page), '/scenarios/one-more-developer');
    await submitForm(page, 'Run this scenario');
    assert.match(currentPath(page), /^\/scenario-runs\/\d+$/);
    await assertNoAxeViolations(page, 'scenario run');
    // Check the progress until the run has finished (bounded: 120 checks a second apart).
    for (let i = 0; i < 120; i += 1) {
      if ((await page.locator('.govuk-panel__title', { hasText: 'Run finished' }).count()) > 0) break;
      assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0, 'the page never refreshes itself');
      await page.waitForTimeout(1000);
      await page.locator('#check-progress').click();
      await page.waitForLoadState('load');
    }
    assert.equal(await page.locator('.govuk-panel__title', { hasText: 'Run finished' }).count(), 1, 'the run finished');
    await page.getByRole('link', { name: 'See the recommended programme and why' }).click();
    await page.waitForLoadState('load');
    assert.equal(await page.locator('caption', { hasText: 'Chosen projects' }).count(), 1);
  } finally {
    await page.context().close();
  }
});
