// Stage gates (and, once there, board meetings) in a real browser: a
// project manager requests a project's next gate with its evidence, the
// board's decider records the decision, the project moves to its next
// stage, and axe-core finds no WCAG 2.2 AA violation on any gate page.
// Starts its own demo server with fresh data.
//
//   node --test tests/browser/gates.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  currentPath,
  launchBrowser,
  newPage,
  projectCodesOnPage,
  signIn,
  startServer,
  submitForm,
  visit,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('gates');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** A concept project whose page offers "Request the next gate". */
async function requestableConceptProject(page) {
  await visit(page, '/projects?stage=concept');
  for (const code of await projectCodesOnPage(page)) {
    await visit(page, `/projects/${code}`);
    if ((await page.getByRole('link', { name: /Request the next gate/ }).count()) === 1) return code;
  }
  assert.fail('no concept project can request its next gate');
}

test('a gate is requested with evidence, decided by the board, and moves the project', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await page.locator('#navigation').getByRole('link', { name: 'Governance', exact: true }).click();
    await page.waitForURL('**/governance');
    await assertNoAxeViolations(page, 'governance');

    await visit(page, '/gates');
    assert.equal((await page.locator('h1').innerText()).trim(), 'Gate requests');
    const demoRequests = await page.locator('#gate-requests tbody tr').count();
    assert.equal(demoRequests, 2, 'the demo has two requests awaiting the board');
    await assertNoAxeViolations(page, 'gate requests');
    await visit(page, '/gates/checklists');
    await assertNoAxeViolations(page, 'gate checklists');

    const code = await requestableConceptProject(page);
    assert.match(await page.locator('#gates').innerText(), /Stage gates/);
    await assertNoAxeViolations(page, 'project page with its gates');
    await Promise.all([
      page.waitForURL(`**/projects/${code}/gate-request`),
      page.getByRole('link', { name: /Request the next gate/ }).click(),
    ]);
    await assertNoAxeViolations(page, 'gate request form');

    // Sending it empty: every item is named in the error summary.
    let response = await submitForm(page, 'Send to the board');
    assert.equal(response.status(), 422);
    const summary = page.locator('.govuk-error-summary');
    const items = await page.locator('textarea[name^="note-"]').count();
    assert.ok(items >= 3, `the checklist has items (${items})`);
    assert.equal(await summary.locator('li').count(), items, 'one error per item of evidence');
    await assertNoAxeViolations(page, 'gate request form with errors');

    for (const box of await page.locator('input[type="checkbox"][name^="provided-"]').all()) await box.check();
    for (const note of await page.locator('textarea[name^="note-"]').all()) {
      await note.fill('See <the business case> & "funding" letter: https://intranet.example/obc');
    }
    await page.getByLabel('Why the project is ready (optional)').fill('Ready for design <script>alert(1)</script>');
    response = await submitForm(page, 'Send to the board');
    assert.equal(response.status(), 200);
    assert.match(currentPath(page), /^\/gates\/\d+$/);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /sent to the board/);
    assert.match(await page.locator('#evidence').innerText(), /See <the business case> & "funding" letter/, 'shown as typed, escaped');
    assert.match(await page.locator('main').innerText(), /<script>alert\(1\)<\/script>/);
    await assertNoAxeViolations(page, 'gate request awaiting a decision');

    // The decision: conditions are required for a conditional approval.
    await page.getByRole('radio', { name: 'Approved with conditions' }).check();
    await page.getByLabel('Reasons').fill('The outline business case is strong.');
    response = await submitForm(page, 'Record the decision');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Conditions must say the conditions/);
    await assertNoAxeViolations(page, 'decision form with errors');
    await page.getByLabel('Conditions (for an approval with conditions)').fill('Report the costs again in three months.');
    response = await submitForm(page, 'Record the decision');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /approved with conditions/);
    assert.match(await page.locator('#decision').innerText(), /three months/);
    await assertNoAxeViolations(page, 'decided gate request');

    await visit(page, `/projects/${code}`);
    assert.match(await page.locator('main .govuk-tag').first().innerText(), /Design/, 'the project moved to design');
    assert.match(await page.locator('#gate-history').innerText(), /Concept to Design/);
    assert.match(await page.locator('#history').innerText(), /gate approved/);
  } finally {
    await page.context().close();
  }
});
