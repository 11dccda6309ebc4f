// Board meetings and highlight reports in a real browser: the demo's next
// Programme Board holds the gate requests waiting; the board's decider
// approves one on its agenda item, the project moves to its next stage, an
// action is recorded, the decision log finds the decision; a project
// manager writes this month's highlight report and the project's rating
// and trend follow. axe-core finds no WCAG 2.2 AA violation on any meeting
// or highlight page (with and without form errors).
// Starts its own demo server with fresh data.
//
//   node --test tests/browser/meetings.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  currentPath,
  fillDate,
  launchBrowser,
  newPage,
  projectCodesOnPage,
  selectFirstRealOption,
  signIn,
  startServer,
  submitForm,
  visit,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('meetings');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a gate request goes to the board meeting, is approved there and moves the project', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/governance');
    await Promise.all([page.waitForURL('**/meetings'), page.getByRole('link', { name: 'Board meetings', exact: true }).click()]);
    assert.equal(await page.locator('#upcoming tbody tr').count(), 1, 'the demo has one meeting coming up');
    assert.equal(await page.locator('#past tbody tr').count(), 1, 'and one held');
    assert.match(await page.locator('#actions').innerText(), /Overdue/);
    await assertNoAxeViolations(page, 'board meetings');

    await Promise.all([page.waitForURL(/\/meetings\/\d+$/), page.locator('#upcoming tbody a').first().click()]);
    const meetingPath = currentPath(page);
    assert.match(await page.locator('h1').innerText(), /^Programme Board, /);
    const since = page.locator('#since-last a').first();
    assert.match(await since.innerText(), /What changed since the last Programme Board meeting/);
    assert.match(await since.getAttribute('href'), /^\/changes\?since=\d{4}-\d{2}-\d{2}&until=\d{4}-\d{2}-\d{2}$/);
    const gateItems = page.locator('#agenda-gate_request + ol > li');
    assert.equal(await gateItems.count(), 2, 'both gate requests are on the agenda');
    assert.ok(await page.locator('#agenda-escalated_risk').count() === 1, 'escalated risks are on the agenda');
    assert.ok(await page.locator('#agenda-project_confidence').count() === 1, 'Red and Amber/Red projects are on the agenda');
    await assertNoAxeViolations(page, 'the next board meeting');

    const heading = await gateItems.first().locator('h4').innerText();
    const code = heading.match(/(DP-\d+)/)[1];
    await visit(page, `/projects/${code}`);
    const before = (await page.locator('main .govuk-tag').first().innerText()).trim();
    await visit(page, meetingPath);
    await Promise.all([
      page.waitForURL(/\/items\/\d+$/),
      gateItems.first().getByRole('link', { name: /Record a decision or an action/ }).click(),
    ]);
    await assertNoAxeViolations(page, 'a gate request item of the agenda');

    // No decision chosen: the error summary names it.
    let response = await submitForm(page, 'Record the decision');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Choose the board's decision/);
    await assertNoAxeViolations(page, 'decision form with errors');
    await page.getByRole('radio', { name: 'Approved', exact: true }).check();
    await page.getByLabel('Reasons').fill('The evidence is complete <and> the team is ready.');
    response = await submitForm(page, 'Record the decision');
    assert.equal(response.status(), 200);
    assert.equal(currentPath(page), meetingPath);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /The decision was recorded/);
    assert.match(await gateItems.first().innerText(), /Approved\. The evidence is complete <and> the team is ready\./);

    // An action on the same item: a due date before the meeting is refused.
    await gateItems.first().getByRole('link', { name: /Record a decision or an action/ }).click();
    await page.waitForURL(/\/items\/\d+$/);
    assert.equal(await page.getByRole('button', { name: 'Record the decision', exact: true }).count(), 0, 'decided once');
    await page.getByLabel('Action').fill('Report design progress to the next board');
    await selectFirstRealOption(page, 'owner');
    await fillDate(page, 'due_on', { day: 1, month: 1, year: 2000 });
    response = await submitForm(page, 'Record the action');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Due date must be on or after the meeting's date/);
    await assertNoAxeViolations(page, 'action form with errors');
    const nextYear = new Date().getUTCFullYear() + 1;
    await fillDate(page, 'due_on', { day: 31, month: 3, year: nextYear });
    response = await submitForm(page, 'Record the action');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('#actions-table').innerText(), /Report design progress to the next board/);
    await assertNoAxeViolations(page, 'the meeting with its decision and action');

    await visit(page, `/projects/${code}`);
    const after = (await page.locator('main .govuk-tag').first().innerText()).trim();
    assert.notEqual(after, before, `the approval moved ${code} on from ${before}`);
    assert.match(await page.locator('#history').innerText(), /gate approved/);

    // "Since the last board", one click from the meeting, lists the decision with its meeting.
    await visit(page, meetingPath);
    await Promise.all([page.waitForURL(/\/changes\?/), page.locator('#since-last a').first().click()]);
    const decided = page.locator('main table').filter({ hasText: 'The evidence is complete' });
    assert.equal(await decided.count(), 1, 'the decision is listed among the changes');
    assert.ok(await decided.locator(`a[href="${meetingPath}"]`).count() >= 1, 'and links to its meeting');
    await assertNoAxeViolations(page, 'changes since the last board');

    await visit(page, `/decisions?q=${code}`);
    assert.match(await page.locator('main').innerText(), /Approved\. The evidence is complete/);
    await assertNoAxeViolations(page, 'the decision log');
  } finally {
    await page.context().close();
  }
});

test('scheduling a meeting names every problem and builds its agenda', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/meetings/new');
    await assertNoAxeViolations(page, 'schedule a meeting');
    await page.getByRole('radio', { name: 'Cabinet' }).check();
    await fillDate(page, 'meets_on', { day: 30, month: 2, year: 2027 });
    let response = await submitForm(page, 'Schedule the meeting');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Date must be a real date/);
    await assertNoAxeViolations(page, 'schedule a meeting with errors');
    await fillDate(page, 'meets_on', { day: 28, month: 2, year: 2027 });
    await page.getByLabel('Others attending (optional)').fill('Cllr Helen Marsh\nChief Executive');
    response = await submitForm(page, 'Schedule the meeting');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('h1').innerText(), /^Cabinet, 28 February 2027$/);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /scheduled with \d+ items on its agenda/);
    assert.match(await page.locator('#details').innerText(), /Chief Executive/);
  } finally {
    await page.context().close();
  }
});

test("this month's highlight report sets the project's confidence and joins the trend", { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await visit(page, '/highlights');
    assert.match(await page.locator('#programme-trend').innerText(), /Reports/);
    assert.ok(await page.locator('#reports tbody tr').count() > 0, "last month's reports are listed");
    await assertNoAxeViolations(page, 'programme highlight reports');
    await visit(page, '/projects?stage=delivery');
    const [code] = await projectCodesOnPage(page);
    await visit(page, `/projects/${code}`);
    await Promise.all([page.waitForURL(`**/projects/${code}/highlights`), page.locator('#highlights-link a').click()]);
    assert.equal(await page.locator('#confidence-trend tbody tr').count(), 2, 'two months reported');
    await assertNoAxeViolations(page, "a project's highlight reports");
    await Promise.all([page.waitForURL('**/highlights/new'), page.getByRole('button', { name: /^Write the .* report$/ }).click()]);
    await page.getByLabel('Why, in one line').fill('');
    let response = await submitForm(page, 'Save the report');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Reason must not be empty/);
    await assertNoAxeViolations(page, 'highlight report form with errors');
    await page.getByRole('radio', { name: 'Green', exact: true }).check();
    await page.getByLabel('Why, in one line').fill('Recovery plan worked: back on plan');
    await page.getByLabel('Progress this month').fill('Defects fixed; the release went to residents on time.');
    response = await submitForm(page, 'Save the report');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /highlight report for .* was saved/);
    assert.equal(await page.locator('#confidence-trend tbody tr').count(), 3);
    assert.match(await page.locator('main').innerText(), /Delivery confidence now: Green/);
    await Promise.all([page.waitForURL(/\/highlights\/\d{4}-\d{2}$/), page.locator('#confidence-trend tbody a').first().click()]);
    assert.match(await page.locator('#confidence').innerText(), /Green Recovery plan worked/);
    await assertNoAxeViolations(page, 'one highlight report');
  } finally {
    await page.context().close();
  }
});
