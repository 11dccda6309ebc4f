// Accessibility (axe-core, WCAG 2.2 AA tags) on every page type, and the
// README screenshots (written over docs/screenshots/ only on request). Starts its own demo server; changes
// no project data (the intake pages are checked on one submitted and one declined priority).
//
//   node --test tests/browser/
//   PORTFOLIO_SCREENSHOTS=1 node --test tests/browser/accessibility.test.mjs

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  ADMIN_EMAIL,
  LEAD_EMAIL,
  REPO_ROOT,
  assertNoAxeViolations,
  currentPath,
  disableBrowserValidation,
  launchBrowser,
  newPage,
  projectCodesOnPage,
  randomPassword,
  signIn,
  startServer,
  submitForm,
  visit,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('accessibility');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('sign-in page has the expected form and no accessibility violations', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await visit(page, '/sign-in');
    assert.equal(await page.locator('input[name="email"]').count(), 1, 'email input');
    assert.equal(await page.locator('input[name="password"][type="password"]').count(), 1, 'password input');
    const csrf = page.locator('input[type="hidden"][name="csrf_token"]');
    assert.equal(await csrf.count(), 1, 'hidden csrf_token input');
    assert.ok((await csrf.inputValue()).length > 0, 'csrf_token has a value');
    await assert.doesNotReject(
      page.getByRole('button', { name: 'Sign in', exact: true }).waitFor({ state: 'visible' }),
      'a visible "Sign in" button',
    );
    await assertNoAxeViolations(page, 'sign-in page');
  } finally {
    await page.context().close();
  }
});

test('a wrong password shows an error summary and that page has no accessibility violations', { timeout: 120_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await visit(page, '/sign-in');
    await page.locator('input[name="email"]').fill(ADMIN_EMAIL);
    let wrong = randomPassword();
    while (wrong === server.password) wrong = randomPassword();
    await page.locator('input[name="password"]').fill(wrong);
    await disableBrowserValidation(page);
    const response = await submitForm(page, 'Sign in');
    assert.notEqual(currentPath(page), '/', 'a wrong password must not reach the dashboard');
    assert.ok(
      response.status() < 500,
      `a wrong password should not be a server error (status ${response.status()})`,
    );
    const summary = page.locator('.govuk-error-summary');
    assert.equal(await summary.count(), 1, 'the page shows one GOV.UK error summary');
    assert.ok(await summary.isVisible(), 'the error summary is visible');
    // Still the sign-in form, so the person can try again.
    assert.equal(await page.locator('input[name="password"]').count(), 1, 'the sign-in form is shown again');
    await assertNoAxeViolations(page, 'sign-in page with an error');
  } finally {
    await page.context().close();
  }
});

test('signed-in pages have no accessibility violations', { timeout: 300_000 }, async (t) => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);

    await t.test('dashboard', async () => {
      await visit(page, '/');
      await assertNoAxeViolations(page, 'dashboard');
    });

    let code;
    await t.test('project register', async () => {
      await visit(page, '/projects');
      const codes = await projectCodesOnPage(page);
      assert.ok(codes.length > 0, 'the register table links project titles to /projects/<CODE>');
      code = codes[0];
      await assertNoAxeViolations(page, 'project register');
    });

    await t.test('project register filtered by stage=design', async () => {
      await visit(page, '/projects?stage=design');
      assert.ok((await projectCodesOnPage(page)).length > 0, 'the demo data has projects in design');
      await assertNoAxeViolations(page, 'project register (stage=design)');
    });

    await t.test('project page', async () => {
      assert.ok(code, 'a project code was found in the register');
      await visit(page, `/projects/${code}`);
      assert.equal(await page.locator('h1').count(), 1, 'one h1 on the project page');
      assert.equal(await page.locator('#history').count(), 1, 'an audit history section with id "history"');
      await assertNoAxeViolations(page, `project page ${code}`);
    });

    await t.test('possible duplicates', async () => {
      await visit(page, '/duplicates');
      assert.equal(await page.locator('h1').innerText(), 'Possible duplicates');
      const rows = await page.locator('#duplicates tbody tr').count();
      const empty = await page.locator('.govuk-inset-text#result-count').count();
      assert.ok(rows > 0 || empty === 1, 'a table of pairs, or the empty state');
      await assertNoAxeViolations(page, 'possible duplicates');
    });

    await t.test('merge page and its check step', async () => {
      await visit(page, '/duplicates');
      const link = page.locator('a[href^="/merge?projects="]').first();
      assert.ok(await link.count(), 'the demo data has possible duplicates to merge');
      await visit(page, await link.getAttribute('href'));
      assert.equal(await page.locator('h1').innerText(), 'Merge projects');
      await assertNoAxeViolations(page, 'merge page');
      await submitForm(page, 'Continue');
      assert.equal(await page.locator('h1').innerText(), 'Check the merge before you confirm it');
      await assertNoAxeViolations(page, 'merge check page');
    });

    await t.test('new project form', async () => {
      await visit(page, '/projects/new');
      assert.equal(await page.locator('input[name="code"]').count(), 1, 'code input');
      await assertNoAxeViolations(page, 'new project form');
    });

    await t.test('edit project form', async () => {
      assert.ok(code, 'a project code was found in the register');
      await visit(page, `/projects/${code}/edit`);
      assert.equal(await page.locator('input[type="hidden"][name="version"]').count(), 1, 'hidden version input');
      await assertNoAxeViolations(page, `edit form for ${code}`);
    });

    await t.test('new project form shown again with errors', async () => {
      await visit(page, '/projects/new');
      await disableBrowserValidation(page);
      const response = await submitForm(page, 'Save project');
      assert.ok(
        [400, 422].includes(response.status()),
        `an empty project should be refused with 400 or 422, got ${response.status()} at ${page.url()}`,
      );
      const summary = page.locator('.govuk-error-summary');
      assert.equal(await summary.count(), 1, 'one GOV.UK error summary');
      assert.match(await summary.innerText(), /title/i, 'the error summary names the missing title');
      // Every link in the summary must lead to a field that exists on the page.
      const targets = await summary
        .locator('a[href^="#"]')
        .evaluateAll((links) =>
          links.map((a) => ({ href: a.getAttribute('href'), exists: !!document.getElementById(a.getAttribute('href').slice(1)) })),
        );
      assert.ok(targets.length > 0, 'the error summary links to the fields in error');
      for (const target of targets) assert.ok(target.exists, `error summary link ${target.href} points to no element`);
      assert.equal(await page.locator('input[name="code"]').count(), 1, 'the form is shown again');
      await assertNoAxeViolations(page, 'new project form with errors');
    });
  } finally {
    await page.context().close();
  }
});

test('intake pages have no accessibility violations', { timeout: 300_000 }, async (t) => {
  const lead = await newPage(browser, server.baseURL);
  const office = await newPage(browser, server.baseURL);
  try {
    await signIn(lead, server.password, LEAD_EMAIL);
    await signIn(office, server.password);

    await t.test('priorities, empty', async () => {
      await visit(office, '/priorities');
      assert.equal(await office.locator('#priorities-empty').count(), 1, 'the empty state');
      await assertNoAxeViolations(office, 'priorities (empty)');
    });

    await t.test('submit a priority form', async () => {
      await visit(lead, '/priorities/new');
      assert.equal(await lead.locator('input[name="urgency"][type="radio"]').count(), 4, 'four urgency radios');
      await assertNoAxeViolations(lead, 'submit a priority form');
    });

    await t.test('submit a priority form shown again with errors', async () => {
      await visit(lead, '/priorities/new');
      await disableBrowserValidation(lead);
      const response = await submitForm(lead, 'Submit priority');
      assert.equal(response.status(), 422, 'an empty priority is refused');
      const summary = lead.locator('.govuk-error-summary');
      assert.equal(await summary.count(), 1, 'one GOV.UK error summary');
      const targets = await summary
        .locator('a[href^="#"]')
        .evaluateAll((links) =>
          links.map((a) => ({ href: a.getAttribute('href'), exists: !!document.getElementById(a.getAttribute('href').slice(1)) })),
        );
      assert.ok(targets.length >= 5, `the summary names each missing field: ${JSON.stringify(targets)}`);
      for (const target of targets) assert.ok(target.exists, `error summary link ${target.href} points to no element`);
      await assertNoAxeViolations(lead, 'submit a priority form with errors');
    });

    let path;
    await t.test('a submitted priority, as its department lead sees it', async () => {
      await visit(lead, '/priorities/new');
      await lead.locator('#title').fill('Accessibility check priority');
      await lead.locator('#problem').fill('A problem to solve.');
      await lead.locator('#beneficiaries').fill('Residents.');
      await lead.locator('#urgency').check();
      await lead.locator('#department').selectOption('public-health');
      await submitForm(lead, 'Submit priority');
      path = currentPath(lead);
      assert.match(path, /^\/priorities\/\d+$/);
      await assertNoAxeViolations(lead, 'a priority (department lead)');
    });

    await t.test('a priority with the triage forms, and a triage refused with errors', async () => {
      await visit(office, path);
      assert.equal(await office.locator('select#project').count(), 1, 'the link form chooses a project');
      await assertNoAxeViolations(office, 'a priority (programme office)');
      await disableBrowserValidation(office);
      const response = await submitForm(office, 'Decline priority');
      assert.equal(response.status(), 422, 'declining without a reason is refused');
      assert.match(await office.locator('.govuk-error-summary').innerText(), /reason/i);
      await assertNoAxeViolations(office, 'a priority with a triage error');
    });

    await t.test('the triage queue, and a declined priority as its lead sees it', async () => {
      await office.locator('#reason').fill('Covered by the public health website refresh.');
      await submitForm(office, 'Decline priority');
      await visit(office, '/priorities');
      assert.ok((await office.locator('#priorities tbody tr').count()) > 0, 'the queue lists the priority');
      await assertNoAxeViolations(office, 'priorities (triage queue)');
      await visit(lead, '/priorities');
      await assertNoAxeViolations(lead, 'priorities (your submissions)');
      await visit(lead, path);
      assert.match(await lead.locator('#outcome').innerText(), /Declined/);
      await assertNoAxeViolations(lead, 'a declined priority (department lead)');
    });
  } finally {
    await lead.context().close();
    await office.context().close();
  }
});

test('screenshots of the dashboard and the register (the README\'s pictures)', { timeout: 120_000 }, async () => {
  // Always taken, so CI proves the pages render whole in a real browser; written
  // over docs/screenshots/ only when PORTFOLIO_SCREENSHOTS=1.
  const dir =
    process.env.PORTFOLIO_SCREENSHOTS === '1'
      ? path.join(REPO_ROOT, 'docs', 'screenshots')
      : mkdtempSync(path.join(tmpdir(), 'portfolio-screenshots-'));
  mkdirSync(dir, { recursive: true });
  const page = await newPage(browser, server.baseURL, { viewport: { width: 1280, height: 900 } });
  try {
    await signIn(page, server.password);
    await visit(page, '/');
    const dashboard = path.join(dir, 'dashboard.png');
    await page.screenshot({ path: dashboard, fullPage: true });
    await visit(page, '/projects');
    const register = path.join(dir, 'register.png');
    await page.screenshot({ path: register, fullPage: true });
    for (const file of [dashboard, register]) {
      const png = readFileSync(file);
      assert.ok(png.length > 10_000, `${file} is a real picture, not an empty page (${png.length} bytes)`);
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
    }
  } finally {
    await page.context().close();
  }
});
