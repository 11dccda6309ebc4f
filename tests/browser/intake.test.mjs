// Intake end to end: a department lead submits a priority, the programme
// office accepts it into the register, the project exists at concept, and
// the lead sees the outcome. Starts its own demo server with fresh data.
//
//   node --test tests/browser/intake.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  LEAD_EMAIL,
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
  server = await startServer('intake');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a department lead submits a priority, the programme office accepts it, the lead sees the outcome', { timeout: 180_000 }, async () => {
  const lead = await newPage(browser, server.baseURL);
  const office = await newPage(browser, server.baseURL);
  const title = 'Online carers assessments (browser test)';
  try {
    // The department lead submits.
    await signIn(lead, server.password, LEAD_EMAIL);
    const nav = lead.locator('#navigation');
    assert.equal(await nav.getByRole('link', { name: 'Priorities', exact: true }).count(), 1, 'the lead has Priorities');
    assert.equal(await nav.getByRole('link', { name: 'Add a project', exact: true }).count(), 0, 'but not Add a project');
    await visit(lead, '/priorities');
    assert.equal((await lead.locator('h1').innerText()).trim(), 'Your submitted priorities');
    await Promise.all([lead.waitForURL('**/priorities/new'), lead.getByRole('button', { name: 'Submit a priority' }).click()]);

    await lead.getByLabel('Title').fill(title);
    await lead.getByLabel('What problem does it solve?').fill('Carers wait six weeks for a home visit before anyone assesses them.');
    await lead.getByLabel('Who benefits?').fill('About 3,000 unpaid carers, and the social workers who visit them.');
    await lead.getByRole('radio', { name: 'High' }).check();
    await lead.getByLabel('Rough cost (optional)').fill('£350k');
    await lead.locator('select[name="department"]').selectOption('health-and-care');
    await lead.getByRole('checkbox', { name: 'Virtual service delivery' }).check();
    let response = await submitForm(lead, 'Submit priority');
    assert.equal(response.status(), 200, `submitting: ${await lead.locator('.govuk-error-summary').allInnerTexts()}`);
    const path = currentPath(lead);
    assert.match(path, /^\/priorities\/\d+$/, `the lead lands on the priority's page, not ${lead.url()}`);
    assert.match(await lead.locator('.govuk-notification-banner').innerText(), /Priority submitted/);
    assert.match(await lead.locator('#outcome').innerText(), /Awaiting triage/);
    assert.match(await lead.locator('#submission').innerText(), /£350,000/);

    // The programme office finds it in the queue and accepts it.
    await signIn(office, server.password);
    const conceptBefore = await readCount(office, '#stage-count-concept');
    await visit(office, '/priorities');
    const row = office.locator('#priorities tbody tr', { hasText: title });
    assert.equal(await row.count(), 1, 'the priority is in the triage queue');
    assert.match(await row.innerText(), /Awaiting triage/);
    await Promise.all([office.waitForURL(`**${path}`), row.getByRole('link', { name: title }).click()]);
    response = await submitForm(office, 'Accept into the register');
    assert.equal(response.status(), 200);
    const outcome = await office.locator('#outcome').innerText();
    const m = /Accepted into the register as (DP-\d+)/.exec(outcome);
    assert.ok(m, `the outcome names the new project: ${outcome}`);
    const code = m[1];

    // The project exists, at concept, and the dashboard counts it.
    await visit(office, `/projects/${code}`);
    assert.ok((await office.locator('h1').innerText()).includes(title), 'the project has the priority\'s title');
    assert.match(await office.locator('main').innerText(), /Concept/);
    assert.match(await office.locator('#change-requests').innerText(), /The priority this project came from/);
    await visit(office, '/');
    assert.equal(await readCount(office, '#stage-count-concept'), conceptBefore + 1, 'one more project in concept');

    // The lead sees the outcome, linked to the project.
    await visit(lead, '/priorities');
    const mine = lead.locator('#priorities tbody tr', { hasText: title });
    assert.match(await mine.innerText(), new RegExp(`Accepted as ${code}`));
    await visit(lead, path);
    const link = lead.locator('#outcome').getByRole('link', { name: new RegExp(code) });
    assert.equal(await link.getAttribute('href'), `/projects/${code}`);
    assert.equal(await lead.getByRole('button', { name: 'Accept into the register' }).count(), 0, 'leads do not triage');
  } finally {
    await lead.context().close();
    await office.context().close();
  }
});
