// The second factor in a real browser: the administrator follows "Second
// factor" from the footer, sees a QR code and the set-up key, is told a wrong
// code is wrong, turns it on with a code computed here as an authenticator
// app would (RFC 6238), signs out, and signs in again: after the password the
// code is asked for, a wrong one is refused with an error summary, the right
// one reaches the dashboard. axe-core finds no WCAG 2.2 AA violation on each
// page. Starts its own demo server with fresh data.
//
//   node --test tests/browser/second-factor.test.mjs

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';

import {
  ADMIN_EMAIL,
  assertNoAxeViolations,
  currentPath,
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
  server = await startServer('second-factor');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    assert.ok(v >= 0, `not base32: ${ch}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The 6-digit code for a 30-second step, as an authenticator app shows it. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

/** The current step, waiting if it is about to change (so the server sees it too). */
async function currentStep() {
  for (;;) {
    const seconds = Math.floor(Date.now() / 1000);
    if (seconds % 30 < 25) return Math.floor(seconds / 30);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

test('a second factor is set up, asked for after the password, and refused when wrong', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    await signIn(page, server.password);
    await Promise.all([page.waitForURL(/\/account\/security$/), page.locator('#footer-security').click()]);
    assert.equal(await page.locator('h1').innerText(), 'Second factor');
    assert.equal(await page.locator('#totp-status').innerText(), 'Off');
    assert.equal(await page.locator('.app-qr-code svg').count(), 1, 'a QR code');
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await assertNoAxeViolations(page, 'second factor, off');

    // A wrong code: named in the error summary, linked to the field.
    await disableBrowserValidation(page);
    await page.getByLabel('Security code').fill('000000');
    let response = await submitForm(page, 'Turn on second factor');
    assert.equal(response.status(), 422);
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /Enter the 6-digit security code/);
    assert.equal(await summary.locator('a').first().getAttribute('href'), '#code');
    assert.equal((await page.locator('#totp-secret').innerText()).trim(), secret, 'the same key again');
    await assertNoAxeViolations(page, 'second factor, wrong code');

    let step = await currentStep();
    await page.getByLabel('Security code').fill(totp(secret, step - 1));
    response = await submitForm(page, 'Turn on second factor');
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('#totp-status').innerText(), 'On');
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /second factor is set up/);
    await assertNoAxeViolations(page, 'second factor, on');

    // Sign out, then in: the password leads to the code page.
    await submitForm(page, 'Sign out');
    assert.equal(currentPath(page), '/sign-in');
    await page.locator('input[name="email"]').fill(ADMIN_EMAIL);
    await page.locator('input[name="password"]').fill(server.password);
    response = await submitForm(page, 'Sign in');
    assert.equal(currentPath(page), '/sign-in/code');
    assert.equal(await page.locator('h1').innerText(), 'Enter your security code');
    await assertNoAxeViolations(page, 'security code page');

    await disableBrowserValidation(page);
    await page.getByLabel('Enter your security code').fill('12345');
    response = await submitForm(page, 'Continue');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter the 6-digit security code/);
    await assertNoAxeViolations(page, 'security code page, wrong code');

    step = await currentStep();
    await page.getByLabel('Enter your security code').fill(totp(secret, step));
    response = await submitForm(page, 'Continue');
    assert.equal(currentPath(page), '/');
    assert.equal(response.status(), 200);
  } finally {
    await page.context().close();
  }
});
