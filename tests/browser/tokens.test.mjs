// API tokens in a real browser: the administrator follows "Your API tokens"
// from the footer, is told what is wrong with an empty name, makes a
// read-only token and sees its secret once, uses it against the API (a read
// works, a write is refused for its scope), and revokes it. axe-core finds no
// WCAG 2.2 AA violation on the page empty, with errors, with the new secret
// and after revoking. Starts its own demo server with fresh data.
//
//   node --test tests/browser/tokens.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoAxeViolations,
  disableBrowserValidation,
  launchBrowser,
  newPage,
  signIn,
  startServer,
  submitForm,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer('tokens');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a read-only token is made, shown once, refused a write and revoked', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await Promise.all([page.waitForURL(/\/account\/tokens$/), page.locator('#footer-tokens').click()]);
    assert.equal(await page.locator('h1').innerText(), 'API tokens');
    await assertNoAxeViolations(page, 'tokens, none yet');

    // An empty name is named in the error summary, linked to the field.
    await disableBrowserValidation(page);
    let response = await submitForm(page, 'Create token');
    assert.equal(response.status(), 200);
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /Name must not be empty/);
    assert.equal(await summary.locator('a').first().getAttribute('href'), '#token-name');
    assert.equal(await page.locator('#token-name').count(), 1);
    await assertNoAxeViolations(page, 'tokens, with an error');

    await page.getByLabel('Name').fill('Cabinet figures <monthly>');
    await page.getByLabel('Read only').check();
    await page.selectOption('#token-expiry', '30');
    response = await submitForm(page, 'Create token');
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['cache-control'], 'no-store');
    assert.match(await page.locator('#new-token').innerText(), /Cabinet figures <monthly>/);
    const secret = await page.locator('#token-secret').inputValue();
    assert.match(secret, /^pf_[0-9a-f]{64}$/);
    await assertNoAxeViolations(page, 'tokens, new secret');

    // The token reads, and its scope refuses a write.
    const api = (method, url, body) =>
      fetch(new URL(url, server.baseURL), {
        method,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
    let r = await api('GET', '/api/v1/dashboard');
    assert.equal(r.status, 200);
    assert.equal((await r.json()).total, 76);
    r = await api('POST', '/api/v1/projects', { title: 'Not with a read token', department: 'families-and-communities', stage: 'concept' });
    assert.equal(r.status, 403);
    assert.match((await r.json()).detail, /read only/);

    // Listed without the secret; its last use shows; revoking stops it.
    await page.goto(new URL('/account/tokens', server.baseURL).href);
    assert.equal(await page.locator('#token-secret').count(), 0);
    const row = page.locator('#your-tokens tbody tr', { hasText: 'Cabinet figures' });
    assert.match(await row.innerText(), /Read only/);
    assert.doesNotMatch(await row.innerText(), /Never used/);
    await Promise.all([
      page.waitForURL(/revoked=\d+/),
      row.getByRole('button', { name: /Revoke/ }).click(),
    ]);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /is revoked: it no longer works/);
    assert.match(await page.locator('#your-tokens tbody tr', { hasText: 'Cabinet figures' }).innerText(), /Revoked/);
    await assertNoAxeViolations(page, 'tokens, revoked');
    r = await api('GET', '/api/v1/dashboard');
    assert.equal(r.status, 401);
  } finally {
    await page.close();
  }
});
