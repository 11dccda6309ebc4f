// End-to-end journeys through the server-rendered pages: dashboard counts,
// creating and editing a project, and the stale-edit (optimistic locking)
// check. Starts its own demo server with fresh data.
//
//   node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  STAGES,
  currentPath,
  fillDate,
  historyEntries,
  launchBrowser,
  newPage,
  projectCodesOnPage,
  readCount,
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
  server = await startServer('workflows');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Stage counts and total from the dashboard; checks they add up. */
async function dashboardCounts(page) {
  await visit(page, '/');
  const total = await readCount(page, '#total-projects');
  const stages = {};
  for (const stage of STAGES) stages[stage] = await readCount(page, `#stage-count-${stage}`);
  const sum = Object.values(stages).reduce((a, b) => a + b, 0);
  assert.equal(sum, total, `stage counts ${JSON.stringify(stages)} should add up to the total ${total}`);
  return { total, stages };
}

/** Parse a money field as the form shows it again ("120000", "120000.00", "120,000"). */
function money(value) {
  return Number(String(value).replace(/[£,\s]/g, ''));
}

async function h1Text(page) {
  const h1 = page.locator('h1');
  assert.equal(await h1.count(), 1, `one h1 on ${page.url()}`);
  return (await h1.innerText()).trim();
}

test('sign in, create and edit a project, and the dashboard follows', { timeout: 180_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);

    // Dashboard with the demo data.
    const before_ = await dashboardCounts(page);
    assert.equal(before_.total, 76, 'demo data has 76 projects');
    assert.equal(before_.stages.concept, 28, 'demo: 28 projects in concept');
    assert.equal(before_.stages.design, 27, 'demo: 27 projects in design');
    assert.equal(before_.stages.delivery, 21, 'demo: 21 projects in delivery');
    assert.equal(await page.locator('table#stage-department').count(), 1, 'a table with id "stage-department"');

    // Create DP-900.
    const title = 'Browser test project DP-900';
    await visit(page, '/projects/new');
    await page.locator('input[name="code"]').fill('DP-900');
    await page.locator('input[name="title"]').fill(title);
    await page.locator('textarea[name="summary"]').fill('Created by the browser tests to check the create and edit journey.');
    const department = await selectFirstRealOption(page, 'department_id');
    const theme = page.locator('input[type="checkbox"][name="theme_ids"]').first();
    const themeValue = await theme.getAttribute('value');
    await theme.check();
    await page.locator('select[name="stage"]').selectOption('concept');
    await page.locator('select[name="phase"]').selectOption('discovery');
    await page.locator('input[name="sponsor"]').fill('Alex Sponsor');
    await page.locator('input[name="manager"]').fill('Sam Manager');
    await fillDate(page, 'start_date', { day: 1, month: 4, year: 2026 });
    await fillDate(page, 'end_date', { day: 31, month: 3, year: 2028 });
    await page.locator('select[name="confidence"]').selectOption('amber');
    await page.locator('input[name="tags"]').fill('browser-test, automation');
    await page.locator('input[type="checkbox"][name="published"]').check();
    await page.locator('input[name="cost_year_0"]').fill('2026/27');
    await page.locator('input[name="cost_capital_0"]').fill('120000');
    await page.locator('input[name="cost_revenue_0"]').fill('1250.50');
    await page.locator('input[name="cost_year_1"]').fill('2027/28');
    await page.locator('input[name="cost_capital_1"]').fill('80000');
    await page.locator('input[name="cost_revenue_1"]').fill('2500');

    let response = await submitForm(page, 'Save project');
    assert.equal(
      currentPath(page),
      '/projects/DP-900',
      `saving a new project should redirect to its page; got ${page.url()} (status ${response.status()}): ` +
        `${await page.locator('.govuk-error-summary').allInnerTexts()}`,
    );
    assert.equal(response.status(), 200);
    assert.ok((await h1Text(page)).includes(title), 'the project page h1 shows the title');

    // Edit it: the form comes back filled in.
    const editLink = page.getByRole('link', { name: /^Edit project\b/ });
    assert.equal(await editLink.count(), 1, 'one "Edit project" link');
    assert.equal(await editLink.getAttribute('href'), '/projects/DP-900/edit');
    await Promise.all([page.waitForURL('**/projects/DP-900/edit'), editLink.click()]);

    assert.equal(await page.locator('input[name="title"]').inputValue(), title);
    assert.equal(await page.locator('select[name="stage"]').inputValue(), 'concept');
    assert.equal(await page.locator('select[name="department_id"]').inputValue(), department);
    assert.ok(
      await page.locator(`input[type="checkbox"][name="theme_ids"][value="${themeValue}"]`).isChecked(),
      'the chosen theme is still ticked',
    );
    assert.equal(await page.locator('select[name="confidence"]').inputValue(), 'amber');
    assert.equal(await page.locator('input[name="start_date-year"]').inputValue(), '2026');
    assert.equal(await page.locator('input[name="cost_year_0"]').inputValue(), '2026/27');
    assert.equal(money(await page.locator('input[name="cost_capital_0"]').inputValue()), 120000);
    assert.equal(money(await page.locator('input[name="cost_revenue_0"]').inputValue()), 1250.5);
    assert.ok(
      (await page.locator('input[type="hidden"][name="version"]').inputValue()).length > 0,
      'the edit form carries the version',
    );

    const newTitle = 'Browser test project DP-900 (renamed)';
    await page.locator('input[name="title"]').fill(newTitle);
    await page.locator('select[name="confidence"]').selectOption('green');
    response = await submitForm(page, 'Save project');
    assert.equal(
      currentPath(page),
      '/projects/DP-900',
      `saving the edit should redirect to the project page; got ${page.url()} (status ${response.status()})`,
    );
    assert.ok((await h1Text(page)).includes(newTitle), 'the project page shows the new title');

    const entries = await historyEntries(page);
    assert.equal(entries.length, 2, `history should have 2 entries (created, updated), found: ${JSON.stringify(entries)}`);
    assert.ok(entries.some((e) => /creat/i.test(e)), `one history entry records the creation: ${JSON.stringify(entries)}`);
    assert.ok(
      entries.some((e) => /updat|edit|chang/i.test(e)),
      `one history entry records the update: ${JSON.stringify(entries)}`,
    );

    // The dashboard counts the new project.
    const after_ = await dashboardCounts(page);
    assert.equal(after_.total, 77, 'total after creating DP-900');
    assert.equal(after_.stages.concept, 29, 'concept after creating DP-900');
    assert.equal(after_.stages.design, 27, 'design unchanged');
    assert.equal(after_.stages.delivery, 21, 'delivery unchanged');
  } finally {
    await page.context().close();
  }
});

test('a stale edit is refused and the first change is kept', { timeout: 180_000 }, async () => {
  // The same user signed in twice, in two independent browser contexts.
  const first = await newPage(browser, server.baseURL);
  const second = await newPage(browser, server.baseURL);
  try {
    await signIn(first, server.password);
    await signIn(second, server.password);

    await visit(first, '/projects');
    const code = (await projectCodesOnPage(first)).find((c) => c !== 'DP-900');
    assert.ok(code, 'the register lists a demo project');

    await visit(first, `/projects/${code}/edit`);
    await visit(second, `/projects/${code}/edit`);
    const original = await first.locator('input[name="title"]').inputValue();
    assert.equal(
      await first.locator('input[name="version"]').inputValue(),
      await second.locator('input[name="version"]').inputValue(),
      'both forms were opened at the same version',
    );

    const firstTitle = `${original} (first edit)`;
    const secondTitle = `${original} (second edit)`;

    await first.locator('input[name="title"]').fill(firstTitle);
    await submitForm(first, 'Save project');
    if (currentPath(first) !== `/projects/${code}`) {
      // Name what the form said, so a failure here can be diagnosed from the CI log.
      const said = await first.locator('.govuk-error-summary, .govuk-notification-banner').allInnerTexts();
      assert.fail(`the first save should succeed, but the form was shown again: ${said.join(' | ') || '(no message)'}`);
    }
    assert.ok((await h1Text(first)).includes(firstTitle));

    await second.locator('input[name="title"]').fill(secondTitle);
    const response = await submitForm(second, 'Save project');
    assert.ok(response.status() < 500, `a stale save is not a server error (status ${response.status()})`);
    assert.match(
      await second.locator('body').innerText(),
      /changed by someone else/i,
      `the second save should say the project was changed by someone else (at ${second.url()}, status ${response.status()})`,
    );
    assert.equal(await second.locator('input[name="title"]').count(), 1, 'the edit form is shown again');
    assert.equal(await second.locator('input[type="hidden"][name="version"]').count(), 1, 'with its version field');
    await second.getByRole('button', { name: 'Save project', exact: true }).waitFor({ state: 'visible' });

    // The first change survived; the stale one was not written.
    await visit(first, `/projects/${code}`);
    const shown = await h1Text(first);
    assert.ok(shown.includes(firstTitle), `the first change is kept (h1: ${JSON.stringify(shown)})`);
    assert.ok(!shown.includes(secondTitle), 'the stale change was not saved');
  } finally {
    await first.context().close();
    await second.context().close();
  }
});
