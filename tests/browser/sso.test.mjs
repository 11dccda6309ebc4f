// Single sign-on in a real browser against a real OpenID provider: the
// `oidc-provider` package runs in this process on loopback, with one client
// (Portfolio, PKCE required) and test users in groups. Portfolio's demo server
// is started configured for it, creating accounts on first sign-in. The sign-in
// page shows "Sign in with your work account" (axe-checked); clicking it goes
// to the provider's sign-in and consent pages and back; the user lands on the
// dashboard signed in with the role their group maps to. A user in no mapped
// group is refused with a page saying why (axe-checked). Signing out ends the
// Portfolio session and goes through the provider's end-session endpoint back
// to the sign-in page.
//
//   node --test tests/browser/sso.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import Provider from 'oidc-provider';

import { assertNoAxeViolations, freePort, launchBrowser, newPage, startServer } from './helpers.mjs';

const CLIENT_ID = 'portfolio';
const CLIENT_SECRET = randomBytes(24).toString('hex');

/** The provider's users: login name → claims. */
const ACCOUNTS = {
  sam: { email: 'sam.sso@northmere.example', name: 'Sam Single', groups: ['all-staff', 'programme-office'] },
  kim: { email: 'kim.sso@northmere.example', name: 'Kim Nogroup', groups: ['all-staff'] },
};

let browser;
let server;
let op;
let issuer;

before(async () => {
  const [providerPort, portfolioPort] = [await freePort(), await freePort()];
  issuer = `http://127.0.0.1:${providerPort}`;
  const portfolio = `http://127.0.0.1:${portfolioPort}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${portfolio}/sign-in/oidc/callback`],
        post_logout_redirect_uris: [`${portfolio}/sign-in`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    // The claims the scopes grant go into the ID token itself, as Entra ID does.
    conformIdTokenClaims: false,
    findAccount: async (_ctx, id) => {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email_verified: true, ...account }),
      };
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: [randomBytes(32).toString('hex')] },
  });
  await new Promise((resolve) => {
    op = provider.listen(providerPort, '127.0.0.1', resolve);
  });

  browser = await launchBrowser();
  server = await startServer('sso', {
    listen: `127.0.0.1:${portfolioPort}`,
    env: {
      PORTFOLIO_OIDC_ISSUER: issuer,
      PORTFOLIO_OIDC_CLIENT_ID: CLIENT_ID,
      PORTFOLIO_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      PORTFOLIO_OIDC_REDIRECT_URL: `${portfolio}/sign-in/oidc/callback`,
      PORTFOLIO_OIDC_GROUP_ROLES: 'portfolio-admins=admin,programme-office=programme_office',
      PORTFOLIO_OIDC_CREATE_USERS: 'true',
      PORTFOLIO_OIDC_ORGANISATION: 'northmere',
    },
  });
  assert.match(server.output(), new RegExp(`Single sign-on through ${issuer}`));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (op) await new Promise((resolve) => op.close(resolve));
});

/** From Portfolio's sign-in page through the provider's sign-in and consent as `login`. */
async function signInAtProvider(page, login) {
  await page.goto(`${server.baseURL}/sign-in`);
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`)),
    page.getByRole('button', { name: 'Sign in with your work account' }).click(),
  ]);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign-in' }).click()]);
  // First time: the provider asks to let Portfolio have the account's details.
  await page.waitForSelector('button:has-text("Continue")');
  const response = page.waitForResponse((r) => r.url().startsWith(`${server.baseURL}/sign-in/oidc/callback`));
  await page.getByRole('button', { name: 'Continue' }).click();
  return response;
}

test('a user signs in through the provider and lands with the role their group maps to', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    const signInPage = await page.goto(`${server.baseURL}/sign-in`);
    assert.equal(signInPage.status(), 200);
    const button = page.getByRole('button', { name: 'Sign in with your work account' });
    assert.equal(await button.count(), 1);
    await assertNoAxeViolations(page, 'sign-in page with single sign-on');

    const callback = await signInAtProvider(page, 'sam');
    assert.equal(callback.status(), 303, 'the callback signs in and redirects');
    await page.waitForURL(`${server.baseURL}/`);
    const footer = await page.locator('footer').innerText();
    assert.match(footer, /Signed in as sam\.sso@northmere\.example \(Programme office\)/);

    // The programme office may add projects.
    const form = await page.goto(`${server.baseURL}/projects/new`);
    assert.equal(form.status(), 200);

    // Signing out ends the session, then signs out at the provider too.
    await page.goto(`${server.baseURL}/`);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${issuer}/session/end`)),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    await Promise.all([
      page.waitForURL(`${server.baseURL}/sign-in`),
      page.getByRole('button', { name: 'Yes, sign me out' }).click(),
    ]);
    const again = await page.goto(`${server.baseURL}/`);
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'no longer signed in');
    assert.equal(again.status(), 200);
  } finally {
    await page.context().close();
  }
});

test('a user in no mapped group is refused with a page saying why', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.baseURL);
  try {
    const callback = await signInAtProvider(page, 'kim');
    assert.equal(callback.status(), 403);
    assert.equal(await page.locator('h1').innerText(), 'You cannot sign in to Portfolio');
    assert.match(await page.locator('main').innerText(), /not in a group that has a role in Portfolio/);
    await assertNoAxeViolations(page, 'single sign-on refused');
    const home = await page.goto(`${server.baseURL}/`);
    assert.equal(home.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'not signed in');
  } finally {
    await page.context().close();
  }
});
