// The RAID register in a real browser: the demo's programme risks in the
// register and the 5×5 heat maps, the filters (a GET form, no JavaScript
// needed), a risk's page with its actions, and the risk form refusing bad
// values by name then saving. axe-core checks each page.
//
//   node --test tests/browser/raid.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  currentPath,
  disableBrowserValidation,
  fillDate,
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
  server = await startServer('raid');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** The sum of the counts in one heat map table. */
async function heatMapTotal(page, which) {
  const counts = await page
    .locator(`#heat-map-${which} .app-risk-cell__count`)
    .evaluateAll((cells) => cells.map((c) => Number(c.textContent.trim())));
  assert.equal(counts.length, 25, `the ${which} heat map has 25 cells`);
  return counts.reduce((a, b) => a + b, 0);
}

test('the register shows the programme risks, heat maps that add up, and filters', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await page.locator('#navigation').getByRole('link', { name: 'RAID', exact: true }).click();
    await page.waitForURL('**/raid');
    assert.equal((await page.locator('h1').innerText()).trim(), 'RAID register');
    for (const title of ['Capacity, investment and priorities', 'Back to normal', 'Rising citizen expectations']) {
      assert.equal(await page.locator('#risk-table a', { hasText: title }).count(), 1, `${title} is listed`);
    }
    const risks = await page.locator('#risk-table tbody tr').count();
    assert.equal(await heatMapTotal(page, 'current'), risks, 'the current heat map counts every open risk listed');
    assert.equal(await heatMapTotal(page, 'target'), risks, 'so does the target heat map');
    assert.ok((await page.locator('.govuk-tag', { hasText: 'Overdue' }).count()) > 0, 'overdue reviews are flagged');
    await assertNoAxeViolations(page, 'RAID register');

    // Filter to very high and high risks owned by anyone, through the GET form.
    await page.locator('select[name="kind"]').selectOption('risk');
    await page.locator('select[name="rating"]').selectOption('high');
    await submitForm(page, 'Show');
    assert.ok(page.url().includes('rating=high'), page.url());
    const high = await page.locator('#risk-table tbody tr').count();
    assert.ok(high > 0 && high < risks, `some but not all risks are high (${high} of ${risks})`);
    assert.equal(await heatMapTotal(page, 'current'), high);
    assert.equal(await page.locator('#issue-table').count(), 0, 'only risks are shown');
    await assertNoAxeViolations(page, 'RAID register filtered');

    // A risk's page with its actions.
    await visit(page, '/raid');
    await page.locator('#risk-table a', { hasText: 'Capacity, investment and priorities' }).click();
    await page.waitForLoadState('load');
    assert.match(currentPath(page), /^\/raid\/\d+$/);
    assert.equal(await page.locator('#actions-table tbody tr').count(), 3);
    assert.ok((await page.locator('#scores').innerText()).includes('Almost certain'));
    await assertNoAxeViolations(page, 'risk page');
  } finally {
    await page.context().close();
  }
});

test('the risk form names its errors, then saves a risk with an action', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/raid/new?kind=risk&project=DP-005');
    await assertNoAxeViolations(page, 'new risk form');
    await disableBrowserValidation(page);
    await page.getByLabel('Event').fill('The supplier cannot start before April');
    await submitForm(page, 'Save risk');
    const summary = page.locator('.govuk-error-summary');
    assert.equal(await summary.count(), 1, 'the error summary is shown');
    const text = await summary.innerText();
    for (const message of ['Title must not be empty', 'Choose the inherent likelihood', 'Choose how the risk is answered']) {
      assert.ok(text.includes(message) || text.includes(message.replace('Choose the inherent likelihood', 'Enter the inherent likelihood')), `${message} in ${text}`);
    }
    for (const href of await summary.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))) {
      assert.equal(await page.locator(href).count(), 1, `${href} points at a field on the page`);
    }
    await assertNoAxeViolations(page, 'risk form with errors');

    await page.getByLabel('Title').fill('Supplier cannot start before April');
    for (const [name, l, i] of [['inherent', '4', '4'], ['current', '3', '4'], ['target', '2', '3']]) {
      await page.locator(`select[name="${name}-likelihood"]`).selectOption(l);
      await page.locator(`select[name="${name}-impact"]`).selectOption(i);
    }
    await page.getByRole('radio', { name: 'Treat' }).check();
    await fillDate(page, 'review_date', { day: 31, month: 1, year: 2027 });
    await page.getByLabel('Action 1 description').fill('Agree an interim supplier');
    await page.locator('select[name="action-0-owner"]').selectOption('admin@northmere.example');
    await submitForm(page, 'Save risk');
    assert.match(currentPath(page), /^\/raid\/\d+$/);
    assert.ok((await page.locator('h1').innerText()).includes('Supplier cannot start before April'));
    assert.ok((await page.locator('#actions-table').innerText()).includes('Agree an interim supplier'));
    await assertNoAxeViolations(page, 'saved risk');
  } finally {
    await page.context().close();
  }
});
