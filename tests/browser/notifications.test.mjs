// Notifications in a real browser: the board's administrator gives the
// department lead an action at the next Programme Board; the lead, signing
// in, sees the unread count in the menu, opens their notifications, follows
// the link to the meeting and marks the notification read, and the count
// goes. axe-core finds no WCAG 2.2 AA violation on the notifications page,
// unread or read. Starts its own demo server with fresh data.
//
//   node --test tests/browser/notifications.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  LEAD_EMAIL,
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
  server = await startServer('notifications');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('an action given at a board meeting reaches its owner, who reads and clears it', { timeout: 240_000 }, async () => {
  const admin = await newPage(browser, server.baseURL);
  const lead = await newPage(browser, server.baseURL);
  try {
    await signIn(lead, server.password, LEAD_EMAIL);
    await visit(lead, '/notifications');
    const unreadBefore = await lead.locator('.app-notice--unread').count();
    await assertNoAxeViolations(lead, 'notifications before');

    await signIn(admin, server.password);
    await visit(admin, '/meetings');
    await Promise.all([admin.waitForURL(/\/meetings\/\d+$/), admin.locator('#upcoming tbody a').first().click()]);
    const meetingPath = currentPath(admin);
    await Promise.all([
      admin.waitForURL(/\/items\/\d+$/),
      admin.getByRole('link', { name: /Record a decision or an action/ }).first().click(),
    ]);
    await admin.getByLabel('Action').fill('Bring the department\'s revised costs <in full>');
    await admin.selectOption('#owner', LEAD_EMAIL);
    await fillDate(admin, 'due_on', { day: 31, month: 3, year: new Date().getUTCFullYear() + 1 });
    const response = await submitForm(admin, 'Record the action');
    assert.equal(response.status(), 200);
    assert.equal(currentPath(admin), meetingPath);

    await visit(lead, '/');
    const menu = lead.locator('#nav-notifications');
    assert.equal((await menu.innerText()).replace(/\s+/g, ' ').trim(), `Notifications ${unreadBefore + 1} unread`);
    await Promise.all([lead.waitForURL('**/notifications'), menu.click()]);
    const notice = lead.locator('.app-notice--unread').first();
    assert.match(await notice.innerText(), /Bring the department's revised costs <in full>/);
    assert.match(await notice.innerText(), /Action assigned/);
    await assertNoAxeViolations(lead, 'notifications, one unread');

    await Promise.all([lead.waitForURL(/\/meetings\/\d+(#actions)?$/), notice.getByRole('link').first().click()]);
    assert.equal(new URL(lead.url()).pathname, meetingPath);
    assert.match(await lead.locator('#actions-table').innerText(), /Bring the department's revised costs <in full>/);

    await visit(lead, '/notifications');
    await lead.locator('.app-notice--unread').first().getByRole('button', { name: /Mark as read/ }).click();
    await lead.waitForURL(/\/notifications\?done=one/);
    assert.match(await lead.locator('.govuk-notification-banner').innerText(), /Notification marked as read/);
    assert.equal(await lead.locator('.app-notice--unread').count(), unreadBefore);
    if (unreadBefore === 0) {
      assert.equal(await lead.locator('#nav-notifications .app-nav-count').count(), 0, 'no count once all are read');
    }
    await assertNoAxeViolations(lead, 'notifications, read');
  } finally {
    await admin.context().close();
    await lead.context().close();
  }
});
