// Board packs and Cabinet reports in a real browser: Reports from the
// service navigation, the form refusing a date before the council began
// (error summary linking the day box), a board pack made as at today with
// the demo's 28 / 27 / 21 = 76, inline charts with their text alternative
// and data, the Word download named after kind and date, the narrative
// written and shown, a meeting's "Board pack", the branding page refusing a
// 20 MB logo; and a Cabinet report made and read with JavaScript turned
// off (axe needs JavaScript, so that path is checked by its results only).
// axe-core finds no WCAG 2.2 AA violation on the other pages.
// Starts its own demo server with fresh data.
//
//   node --test tests/browser/reports.test.mjs

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  currentPath,
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
  server = await startServer('reports');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const now = new Date();
const iso = now.toISOString().slice(0, 10);
const today = { day: now.getUTCDate(), month: now.getUTCMonth() + 1, year: now.getUTCFullYear() };

async function figure(page, label) {
  const text = await page.locator(`[data-figure="${label}"] .app-count`).innerText();
  return Number(text.trim());
}

test('a board pack is made, adds up, downloads and carries its narrative', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL, { acceptDownloads: true });
  try {
    await signIn(page, server.password);
    await Promise.all([page.waitForURL('**/reports'), page.getByRole('link', { name: 'Reports', exact: true }).click()]);
    assert.match(await page.locator('#reports').innerText(), /No report has been made yet/);
    await assertNoAxeViolations(page, 'reports, none yet');

    await Promise.all([page.waitForURL('**/reports/new'), page.getByRole('button', { name: 'Create a report' }).click()]);
    await assertNoAxeViolations(page, 'the report form');
    await page.getByRole('radio', { name: 'Board pack' }).check();
    await fillDate(page, 'as_at', { day: 1, month: 1, year: 2000 });
    let response = await submitForm(page, 'Create the report');
    assert.equal(response.status(), 422);
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /The report's date must be on or after .* the day the organisation began using Portfolio/);
    assert.equal(await summary.locator('a[href="#as_at-day"]').count(), 1);
    await assertNoAxeViolations(page, 'the report form with an error');

    await fillDate(page, 'as_at', today);
    response = await submitForm(page, 'Create the report');
    assert.equal(response.status(), 200);
    assert.match(currentPath(page), /^\/reports\/\d+$/);
    const reportPath = currentPath(page);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /The report was made/);
    assert.equal(await figure(page, 'Projects'), 76);
    assert.equal(await figure(page, 'Concept'), 28);
    assert.equal(await figure(page, 'Design'), 27);
    assert.equal(await figure(page, 'Delivery'), 21);
    const charts = page.locator('figure.app-report-chart');
    assert.ok((await charts.count()) >= 3, 'the pack has charts');
    const first = charts.first();
    assert.equal(await first.locator('svg[role="img"] desc').count(), 1, 'each chart has a text alternative');
    assert.ok((await first.locator('table tbody tr').count()) > 0, 'and its data as a table');
    assert.ok(await page.locator('svg').first().isVisible());
    await assertNoAxeViolations(page, 'the board pack');

    const docx = page.getByRole('link', { name: /^Word \(DOCX\)/ });
    const [download] = await Promise.all([page.waitForEvent('download'), docx.click()]);
    assert.equal(download.suggestedFilename(), `board-pack-${iso}.docx`);
    assert.ok(statSync(await download.path()).size > 5_000, 'a Word document was sent');

    await Promise.all([page.waitForURL('**/edit'), page.locator('#edit-narrative').click()]);
    await assertNoAxeViolations(page, 'the narrative form');
    await page.getByLabel("Officer's commentary").fill('The programme is on track.\n\nTwo gates await the board.');
    response = await submitForm(page, 'Save the narrative');
    assert.equal(response.status(), 200);
    assert.equal(currentPath(page), reportPath);
    assert.match(await page.locator('#commentary').innerText(), /The programme is on track\.\s+Two gates await the board\./);

    await visit(page, '/reports');
    assert.equal(await page.locator('#reports tbody tr').count(), 1);
    assert.match(await page.locator('#reports').innerText(), /Board pack/);
    await assertNoAxeViolations(page, 'reports with one');
  } finally {
    await page.context().close();
  }
});

test("a meeting's Board pack link makes the pack once, then opens it", { timeout: 180_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/meetings');
    await Promise.all([page.waitForURL(/\/meetings\/\d+$/), page.locator('#upcoming tbody a').first().click()]);
    const meetingPath = currentPath(page);
    await Promise.all([page.waitForURL(/\/reports\/\d+$/), page.getByRole('button', { name: /^Board pack/ }).click()]);
    const packPath = currentPath(page);
    assert.equal(await page.locator('#agenda').count(), 1, 'a pack for a meeting has its agenda');
    assert.equal(await figure(page, 'Projects'), 76);
    await visit(page, meetingPath);
    await Promise.all([page.waitForURL(packPath), page.getByRole('link', { name: /^Board pack/ }).click()]);
    await visit(page, meetingPath);
    await assertNoAxeViolations(page, 'the meeting with its board pack');
  } finally {
    await page.context().close();
  }
});

test('the branding page refuses a 20 MB logo with a message', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/settings/branding');
    await assertNoAxeViolations(page, 'branding');
    const big = Buffer.alloc(20 * 1024 * 1024);
    Buffer.from('89504e470d0a1a0a0000000d49484452000001000000010008060000', 'hex').copy(big);
    await page.getByLabel('Name on reports (optional)').fill('Northmere County Council');
    await page.locator('input[name="logo"]').setInputFiles({ name: 'crest.png', mimeType: 'image/png', buffer: big });
    const response = await submitForm(page, 'Save the branding');
    assert.equal(response.status(), 422);
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /The logo is 21\.0 MB; a logo must be at most 1 MB/);
    assert.equal(await summary.locator('a[href="#logo"]').count(), 1);
    assert.match(await page.locator('#logo-now').innerText(), /Reports carry no logo/);
    await assertNoAxeViolations(page, 'branding with an error');
  } finally {
    await page.context().close();
  }
});

test('without JavaScript a Cabinet report is made and read', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL, { javaScriptEnabled: false });
  try {
    await signIn(page, server.password);
    await visit(page, '/reports/new');
    await page.getByRole('radio', { name: 'Cabinet report' }).check();
    await fillDate(page, 'as_at', today);
    await page.getByLabel('Title (optional)').fill('Digital programme: update to Cabinet');
    const response = await submitForm(page, 'Create the report');
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').innerText(), 'Digital programme: update to Cabinet');
    assert.equal(await figure(page, 'Projects'), 76);
    for (const id of ['purpose', 'recommendations', 'background', 'programme-summary', 'financial-implications', 'legal-implications', 'equality-impact', 'appendices']) {
      assert.equal(await page.locator(`section#${id}`).count(), 1, `the Cabinet report has its ${id} section`);
    }
    await Promise.all([page.waitForURL('**/edit'), page.locator('#edit-narrative').click()]);
    await page.getByLabel('Purpose of the report').fill('To update Cabinet on the digital programme.');
    await submitForm(page, 'Save the narrative');
    assert.match(await page.locator('#purpose').innerText(), /To update Cabinet on the digital programme\./);
  } finally {
    await page.context().close();
  }
});
