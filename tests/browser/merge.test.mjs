// Merging a pair of possible duplicates through the pages: from Possible
// duplicates to the merge page, choose the survivor and the values to keep,
// check, merge, see the lineage on both projects, then undo the merge.
// Starts its own demo server with fresh data.
//
//   node --test tests/browser/

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
  server = await startServer('merge');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function h1Text(page) {
  const h1 = page.locator('h1');
  assert.equal(await h1.count(), 1, `one h1 on ${page.url()}`);
  return (await h1.innerText()).trim();
}

test('merge a pair of possible duplicates, see the lineage on both, and undo it', { timeout: 180_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);

    // Possible duplicates → the merge page of the most likely pair.
    await visit(page, '/duplicates');
    const link = page.getByRole('link', { name: /^Merge these projects/ }).first();
    assert.ok(await link.count(), 'an editor sees a "Merge these projects" link per pair');
    const href = await link.getAttribute('href');
    const m = /^\/merge\?projects=([A-Z]+-\d+),([A-Z]+-\d+)$/.exec(href);
    assert.ok(m, `the link names both projects: ${href}`);
    const [, first, second] = m;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
    assert.equal(currentPath(page), '/merge');
    assert.equal(await h1Text(page), 'Merge projects');
    assert.equal(await page.locator('#comparison th[scope="col"]').count(), 3, 'the two projects side by side');

    // Read both titles from the comparison, then choose: first continues, with second's title.
    await visit(page, `/projects/${second}`);
    const secondTitle = await h1Text(page);
    await visit(page, `/projects/${first}`);
    const firstTitle = await h1Text(page);
    await visit(page, href);
    await page.getByRole('radio', { name: new RegExp(`^${first} `) }).check();
    const titleChoice = page.locator(`input[name="field_title"][value="${second}"]`);
    assert.equal(await titleChoice.count(), 1, 'the titles differ, so there is a choice');
    await titleChoice.check();
    const addCosts = page.getByRole('radio', { name: 'Add the costs together, year by year' });
    const costsDiffer = (await addCosts.count()) === 1;
    if (costsDiffer) await addCosts.check();

    // Check the result, then merge.
    await submitForm(page, 'Continue');
    assert.equal(await h1Text(page), 'Check the merge before you confirm it');
    assert.match(await page.locator('#result').innerText(), new RegExp(`From ${second}`));
    if (costsDiffer) assert.match(await page.locator('#result').innerText(), /Combined/);
    await assertNoAxeViolations(page, 'check the merge');
    await submitForm(page, 'Merge projects');
    assert.equal(currentPath(page), `/projects/${first}`);
    assert.match(await page.locator('.govuk-notification-banner--success').innerText(), /Projects merged/);
    assert.equal(await h1Text(page), secondTitle, 'the survivor took the chosen title');
    const mergedFrom = page.locator('#merged-from');
    assert.match(await mergedFrom.innerText(), new RegExp(`Merged from ${second}`));
    await assertNoAxeViolations(page, 'survivor with lineage');

    // The merged project links back to the survivor.
    await page.locator('#merged-from').getByRole('link', { name: new RegExp(`^${second}`) }).click();
    await page.waitForLoadState('load');
    assert.equal(currentPath(page), `/projects/${second}`);
    assert.match(await page.locator('#merged-into').innerText(), new RegExp(`Merged into ${first}`));
    assert.match(await page.locator('.govuk-tag').first().innerText(), /Merged/);
    await assertNoAxeViolations(page, 'merged project with lineage');

    // Undo from the survivor's page: both are back as they were.
    await visit(page, `/projects/${first}`);
    await submitForm(page, `Undo this merge of ${second} into ${first}`);
    assert.equal(currentPath(page), `/projects/${first}`);
    assert.match(await page.locator('.govuk-notification-banner--success').innerText(), /Merge undone/);
    assert.equal(await h1Text(page), firstTitle);
    assert.equal(await page.locator('#lineage').count(), 0, 'no lineage once undone');
    const history = await page.locator('#history').innerText();
    assert.match(history, /Merge undone/);
    assert.match(history, /Merged/);
    await visit(page, `/projects/${second}`);
    assert.equal(await page.locator('#merged-into').count(), 0);
  } finally {
    await page.context().close();
  }
});
