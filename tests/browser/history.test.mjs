// What changed between two dates, and the register and the dashboard as at a
// past date, in a real browser: from the governance hub to the changes page,
// a period chosen with the GOV.UK date boxes, a "since" after "until"
// refused with an error summary, and axe-core finding no WCAG 2.2 AA
// violation on any of these pages. Starts its own demo server with fresh
// data (the demo council is built today, so today's changes are its 76
// projects).
//
//   node --test tests/browser/history.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
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
  server = await startServer('history');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const today = new Date();
const iso = today.toISOString().slice(0, 10);
const parts = { day: today.getUTCDate(), month: today.getUTCMonth() + 1, year: today.getUTCFullYear() };

test('the changes page lists each kind of change with counts, and refuses a bad period', { timeout: 180_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/governance');
    await Promise.all([
      page.waitForURL('**/changes?since=*'),
      page.getByRole('link', { name: 'What changed', exact: true }).click(),
    ]);
    assert.match(await page.locator('h1').innerText(), /^What changed from /);
    await assertNoAxeViolations(page, 'changes since 30 days ago');

    await visit(page, '/changes');
    assert.equal((await page.locator('h1').innerText()).trim(), 'What changed');
    assert.equal(await page.locator('#change-counts').count(), 0, 'no results before a period is chosen');
    await assertNoAxeViolations(page, 'changes form');

    await fillDate(page, 'since', parts);
    let response = await submitForm(page, 'Show the changes');
    assert.equal(response.status(), 200);
    assert.equal((await page.locator('#count-new-projects').innerText()).trim(), '76', 'the demo council was built today');
    assert.match(await page.locator('#new-projects').innerText(), /New projects \(76\)/);
    assert.ok((await page.locator('#new-projects-table tbody tr').count()) === 76);
    assert.match(await page.locator('#risks-opened').innerText(), /Risks opened \(\d+\)/);
    await assertNoAxeViolations(page, 'changes today');

    // From tomorrow to today: refused, naming the first day.
    const tomorrow = new Date(today.getTime() + 86_400_000);
    await fillDate(page, 'since', { day: tomorrow.getUTCDate(), month: tomorrow.getUTCMonth() + 1, year: tomorrow.getUTCFullYear() });
    await fillDate(page, 'until', parts);
    response = await submitForm(page, 'Show the changes');
    assert.equal(response.status(), 422);
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /The first day must be the same as or before the end of the period/);
    assert.equal(await summary.locator('a[href="#since-day"]').count(), 1);
    await assertNoAxeViolations(page, 'changes with an error');
  } finally {
    await page.close();
  }
});

test('the register and the dashboard as at a date are labelled as a past view', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/projects');
    await page.locator('.govuk-details__summary').click();
    await fillDate(page, 'as_at', parts);
    await submitForm(page, 'Show the register at this date');
    assert.match(page.url(), /as_at-day=/);
    assert.match(await page.locator('h1').innerText(), /Project register as at /);
    assert.match(await page.locator('#as-at-banner').innerText(), /register as it was at the end of/);
    assert.match(await page.locator('#result-count').innerText(), /of 76 projects/);
    await assertNoAxeViolations(page, 'register as at today');

    await visit(page, `/?as_at=${iso}`);
    assert.match(await page.locator('#as-at-banner').innerText(), /A past view/);
    assert.equal((await page.locator('#total-projects').innerText()).trim(), '76');
    await assertNoAxeViolations(page, 'dashboard as at today');
  } finally {
    await page.close();
  }
});
