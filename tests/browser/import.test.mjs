// A programme officer imports a department's spreadsheet through the pages:
// upload → check what each column holds → check every row (confirming a near
// miss) → import the valid rows → download the rejected ones. Also checks
// that nothing is written while rows have problems, and every step's page
// against WCAG 2.2 AA. Starts its own demo server with fresh data.
//
//   node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  currentPath,
  launchBrowser,
  newPage,
  readCount,
  signIn,
  startServer,
  submitForm,
  visit,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('import');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// A department's list as people write them: their own headers, money by
// hand, British dates, a near-miss stage, a near-miss department, one
// unreadable cost, and a formula where a title should be.
const SPREADSHEET = [
  'Scheme,Directorate,Status,Indicative cost,Start,Notes',
  'Browser import: care records scanning,Health and Care,Concept,£350k,01/04/2027,first',
  'Browser import: reablement scheduling,Health and Care,In delivery,£1.2m,01/10/2026,second',
  'Browser import: payroll chatbot,Corporate Service,Design,45k,01/06/2027,third',
  'Browser import: blue badge renewals,Corporate Services,Concept,£1.2x,01/05/2027,fourth',
  '"=HYPERLINK(""http://example.invalid"",""click"")",Corporate Services,Concept,£10k,31/02/2027,fifth',
].join('\r\n');

async function dashboardTotal(page) {
  await visit(page, '/');
  return readCount(page, '#total-projects');
}

test('upload, map, check and import a spreadsheet; the rejected rows download with reasons', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    const before_ = await dashboardTotal(page);

    // Step 1: the upload form, refused without a file.
    await visit(page, '/imports/new');
    await assertNoAxeViolations(page, 'import: upload form');
    let response = await submitForm(page, 'Upload and continue');
    assert.equal(response.status(), 422, 'an upload without a file is refused');
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Select a CSV or XLSX file/);
    await assertNoAxeViolations(page, 'import: upload form with an error');

    await page.locator('input[name="file"]').setInputFiles({
      name: 'corporate-and-care.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(SPREADSHEET, 'utf8'),
    });
    response = await submitForm(page, 'Upload and continue');
    assert.equal(response.status(), 200);
    const importPath = currentPath(page);
    assert.match(importPath, /^\/imports\/\d+$/, `the columns page, not ${page.url()}`);

    // Step 2: the columns were recognised from their headers; Notes is ignored.
    assert.equal(await page.locator('h1').innerText(), 'Check what each column holds');
    const selected = async (header) => {
      const row = page.locator('tr', { has: page.locator('th', { hasText: header }) });
      return row.locator('select').inputValue();
    };
    assert.equal(await selected('Scheme'), 'title');
    assert.equal(await selected('Directorate'), 'department');
    assert.equal(await selected('Status'), 'stage');
    assert.equal(await selected('Indicative cost'), 'cost_total');
    assert.equal(await selected('Notes'), 'ignore', 'Notes is not a field of the register');
    await assertNoAxeViolations(page, 'import: columns');
    await page.locator('#save_mapping').check();
    await submitForm(page, 'Check the rows');
    assert.equal(currentPath(page), `${importPath}/check`);

    // Step 3: every problem is named by row and column; nothing is written yet.
    assert.equal(await page.locator('h1').innerText(), 'Check the rows');
    const problems = await page.locator('#problems tbody tr').allInnerTexts();
    const rowOf = (text) => problems.find((p) => p.includes(text));
    assert.ok(rowOf('£1.2x'), `the unreadable cost is listed: ${problems.join(' | ')}`);
    assert.match(rowOf('£1.2x'), /^5\s/, 'the cost problem is on row 5');
    assert.match(rowOf('In delivery'), /did you mean 'Delivery'/);
    assert.match(rowOf('31/02/2027'), /February 2027 has 28 days/);
    assert.equal(await readCount(page, '#rejected-count'), 4, 'four rows have problems');
    assert.equal(await page.getByRole('button', { name: /^Import \d+ rows?$/ }).count(), 0, 'no all-or-nothing import while rows have problems');
    await assertNoAxeViolations(page, 'import: check with problems');

    // Confirm the two near misses; their rows are then fine.
    await page.getByLabel(/Stage "In delivery" means "Delivery"/).check();
    await page.getByLabel(/Department "Corporate Service" means "Corporate Services"/).check();
    await submitForm(page, 'Use the selected values');
    assert.equal(currentPath(page), `${importPath}/check`);
    assert.equal(await readCount(page, '#rejected-count'), 2, 'two rows still have problems');
    assert.equal(await dashboardTotalAfterVisit(page, importPath), before_, 'checking writes nothing');

    // Step 4: import the valid rows only.
    await submitForm(page, 'Import the 3 valid rows only');
    assert.equal(currentPath(page), importPath);
    assert.equal(await page.locator('h1').innerText(), 'Spreadsheet imported');
    assert.equal(await readCount(page, '#created'), 3);
    assert.equal(await readCount(page, '#left-out'), 2);
    await assertNoAxeViolations(page, 'import: done');

    // The rejected rows, with a reason column; the formula is neutralised.
    const download = await page.request.get(`${importPath}/rejected.csv`);
    assert.equal(download.status(), 200);
    assert.match(download.headers()['content-disposition'], /corporate-and-care-rejected-rows\.csv/);
    const csv = await download.text();
    const lines = csv.trim().split(/\r?\n/);
    assert.equal(lines[0], 'File,Sheet,Row,Reason,Scheme,Directorate,Status,Indicative cost,Start,Notes');
    assert.equal(lines.length, 3, `two rejected rows: ${csv}`);
    assert.match(lines[1], /^corporate-and-care\.csv,,5,/);
    assert.match(csv, /'=HYPERLINK/, 'a formula is prefixed so a spreadsheet shows it as text');

    // The register has the three projects, each saying where it came from.
    assert.equal(await dashboardTotal(page), before_ + 3);
    await visit(page, '/projects?q=Browser+import');
    const titles = await page.locator('table tbody tr').allInnerTexts();
    assert.equal(titles.length, 3, titles.join(' | '));
    assert.ok(titles.some((t) => t.includes('payroll chatbot')), 'the confirmed department row was imported');
    // Its page says where it came from.
    await page.getByRole('link', { name: /payroll chatbot/ }).click();
    await page.waitForLoadState('load');
    assert.match(await page.locator('#imported-from').innerText(), /corporate-and-care\.csv, row 4/);

    // The same source again: the saved mapping is applied.
    await visit(page, '/imports/new');
    await page.locator('input[name="file"]').setInputFiles({
      name: 'corporate-and-care.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(SPREADSHEET, 'utf8'),
    });
    await submitForm(page, 'Upload and continue');
    assert.equal(await page.locator('#saved-mapping').count(), 1, 'the saved choices are said to be applied');
  } finally {
    await page.context().close();
  }
});

/** The dashboard's total, then back to the import page. */
async function dashboardTotalAfterVisit(page, importPath) {
  const total = await dashboardTotal(page);
  await visit(page, `${importPath}/check`);
  return total;
}
