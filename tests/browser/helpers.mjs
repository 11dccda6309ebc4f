// Shared helpers for the browser tests: start the Portfolio server in demo
// mode, launch Debian's Chromium through playwright-core, sign in, run axe.
//
// Nothing here skips: a missing binary or browser is a test failure with a
// message saying how to fix it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CHROMIUM_PATH = process.env.PORTFOLIO_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const AXE_PATH = path.join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export const ADMIN_EMAIL = 'admin@northmere.example';
/** The demo's department lead: submits priorities; same password as the administrator. */
export const LEAD_EMAIL = 'lead@northmere.example';

export const STAGES = [
  'idea',
  'concept',
  'design',
  'delivery',
  'live',
  'closed',
  'on_hold',
  'withdrawn',
  'merged',
];

const SERVER_START_TIMEOUT_MS = 60_000;
const SERVER_STOP_TIMEOUT_MS = 15_000;

/** Path of the server binary: $PORTFOLIO_BIN, else $CARGO_TARGET_DIR/debug/portfolio, else target/debug/portfolio. */
export function serverBinary() {
  let bin;
  if (process.env.PORTFOLIO_BIN) {
    bin = process.env.PORTFOLIO_BIN;
  } else if (process.env.CARGO_TARGET_DIR) {
    bin = path.join(process.env.CARGO_TARGET_DIR, 'debug', 'portfolio');
  } else {
    bin = path.join('target', 'debug', 'portfolio');
  }
  return path.resolve(REPO_ROOT, bin);
}

/** A random 20-character password with upper case, lower case, digits and a symbol. */
export function randomPassword(length = 20) {
  const classes = [
    'ABCDEFGHJKLMNPQRSTUVWXYZ',
    'abcdefghijkmnopqrstuvwxyz',
    '23456789',
    '!#%+-=_',
  ];
  const all = classes.join('');
  const chars = classes.map((c) => c[randomInt(c.length)]);
  while (chars.length < length) chars.push(all[randomInt(all.length)]);
  // Fisher-Yates shuffle so the fixed classes are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

const running = new Set();
process.on('exit', () => {
  // Last resort if a test run dies without calling stop().
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Start `portfolio demo --listen 127.0.0.1:0 --data-dir <fresh temp dir>` and
 * wait for its `Listening on http://127.0.0.1:PORT` line. `env` adds to the
 * server's environment; `listen` chooses another address (a fixed port, when
 * something must know it before the server starts).
 *
 * Returns { baseURL, port, password, dataDir, output(), stop() }. stop()
 * sends SIGTERM, removes the data dir and writes the server's output to
 * target/browser-tests/<name>.log for post-mortems.
 */
export async function startServer(name = 'server', { env = {}, listen = '127.0.0.1:0' } = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `Portfolio server binary not found at ${bin}.\n` +
        'Build it first with `cargo build --workspace`, or point PORTFOLIO_BIN at it ' +
        '(CARGO_TARGET_DIR is honoured when PORTFOLIO_BIN is unset).',
    );
  }

  const dataDir = mkdtempSync(path.join(tmpdir(), 'portfolio-browser-'));
  const password = randomPassword();
  const args = ['demo', '--listen', listen, '--data-dir', dataDir];
  const child = spawn(bin, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, PORTFOLIO_DEMO_PASSWORD: password, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  const output_ = () => output;
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve(exited);
    });
  });

  const ready = new Promise((resolve, reject) => {
    let stdoutBuf = '';
    let settled = false;
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    };
    const describe = () =>
      `command: ${bin} ${args.join(' ')}\n--- server output ---\n${output || '(none)'}\n--- end ---`;

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(
        new Error(
          `Portfolio server did not print "Listening on http://127.0.0.1:PORT" within ` +
            `${SERVER_START_TIMEOUT_MS / 1000} s.\n${describe()}`,
        ),
      );
    }, SERVER_START_TIMEOUT_MS);

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      stdoutBuf += chunk;
      const m = /Listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdoutBuf);
      if (m) finish(null, m[1]);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (err) => finish(new Error(`Could not start ${bin}: ${err.message}\n${describe()}`)));
    child.on('exit', (code, signal) =>
      finish(
        new Error(
          `Portfolio server exited before it was ready (code ${code}, signal ${signal}).\n${describe()}`,
        ),
      ),
    );
  });

  let baseURL;
  try {
    baseURL = await ready;
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // The data listeners above stay attached, so the pipes keep draining.
  const port = Number(new URL(baseURL).port);

  async function stop() {
    if (exited === null) {
      child.kill('SIGTERM');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), SERVER_STOP_TIMEOUT_MS));
      const result = await Promise.race([exitPromise, timeout]);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exitPromise;
        console.warn(
          `Portfolio server did not stop within ${SERVER_STOP_TIMEOUT_MS / 1000} s of SIGTERM; killed it.`,
        );
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    try {
      const logDir = path.join(REPO_ROOT, 'target', 'browser-tests');
      mkdirSync(logDir, { recursive: true });
      writeFileSync(path.join(logDir, `${name}.log`), output);
    } catch {
      // the log is a convenience only
    }
    return exited;
  }

  return { baseURL, port, password, dataDir, output: output_, stop };
}

/** A TCP port free on 127.0.0.1 just now. */
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Launch Chromium (Debian's package) through playwright-core. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\` ` +
        '(scripts/test-all does this), or set PORTFOLIO_CHROMIUM to another Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context (own cookie jar). bypassCSP lets axe be injected as
 * an inline script even when the server sends a strict Content-Security-Policy.
 */
export async function newPage(browser, baseURL, options = {}) {
  const context = await browser.newContext({
    baseURL,
    bypassCSP: true,
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.setDefaultNavigationTimeout(30_000);
  return page;
}

/** Go to a path and assert the response status (200 unless told). Returns the response. */
export async function visit(page, urlPath, expectedStatus = 200) {
  const response = await page.goto(urlPath, { waitUntil: 'load' });
  assert.ok(response, `no response for ${urlPath}`);
  assert.equal(
    response.status(),
    expectedStatus,
    `GET ${urlPath} returned ${response.status()}, expected ${expectedStatus} (now at ${page.url()})`,
  );
  return response;
}

/** Path part of the page's current URL. */
export function currentPath(page) {
  return new URL(page.url()).pathname;
}

/**
 * Click the submit button with this accessible name and wait for the page the
 * form submission leads to (following redirects). Returns that response.
 */
export async function submitForm(page, buttonName) {
  const navigation = page.waitForNavigation({ waitUntil: 'load' });
  await page.getByRole('button', { name: buttonName, exact: true }).click();
  const response = await navigation;
  assert.ok(response, `submitting "${buttonName}" produced no response`);
  return response;
}

/**
 * Turn off the browser's own constraint validation (required, pattern, …) so a
 * submission always reaches the server, whose GOV.UK error summary we test.
 */
export async function disableBrowserValidation(page) {
  await page.evaluate(() => {
    for (const form of document.querySelectorAll('form')) form.noValidate = true;
  });
}

/** Sign in through the form and assert we land on the dashboard. */
export async function signIn(page, password, email = ADMIN_EMAIL) {
  await visit(page, '/sign-in');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  const response = await submitForm(page, 'Sign in');
  assert.equal(
    currentPath(page),
    '/',
    `after signing in expected the dashboard at /, got ${page.url()} (status ${response.status()})`,
  );
  assert.equal(response.status(), 200, `dashboard after sign-in returned ${response.status()}`);
}

/** Read an element's text as a whole number; fails unless the text is just a number. */
export async function readCount(page, selector) {
  const locator = page.locator(selector);
  assert.equal(await locator.count(), 1, `expected exactly one element matching ${selector} on ${page.url()}`);
  const text = (await locator.textContent()).trim();
  const m = /^(\d{1,3}(?:,\d{3})*|\d+)$/.exec(text);
  assert.ok(m, `${selector} should contain just a number, found ${JSON.stringify(text)}`);
  return Number(m[1].replace(/,/g, ''));
}

/** Inject axe-core and return the violations for the given WCAG tags. */
export async function axeViolations(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(
    (tags) =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    AXE_TAGS,
  );
  return results.violations;
}

export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `      - ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`)
        .join('\n');
      return `  * ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/** Fail listing every axe violation (id, help, target nodes) on the current page. */
export async function assertNoAxeViolations(page, label = page.url()) {
  const violations = await axeViolations(page);
  if (violations.length > 0) {
    assert.fail(
      `${violations.length} accessibility violation(s) on ${label} (${page.url()}):\n${formatViolations(violations)}`,
    );
  }
}

/** Codes of the projects linked from the current page (links to /projects/<CODE>). */
export async function projectCodesOnPage(page) {
  const hrefs = await page
    .locator('table a[href]')
    .evaluateAll((links) => links.map((a) => new URL(a.href).pathname));
  const codes = [];
  for (const href of hrefs) {
    const m = /^\/projects\/([A-Z][A-Z0-9]*-\d+)$/.exec(href);
    if (m && !codes.includes(m[1])) codes.push(m[1]);
  }
  return codes;
}

/**
 * Texts of the entries in the audit history section (#history). Looks, in
 * order, for elements marked data-history-entry, timeline items, table body
 * rows, summary-list rows, then top-level list items; the first kind found wins.
 */
export async function historyEntries(page) {
  const history = page.locator('#history');
  assert.equal(await history.count(), 1, `expected one #history section on ${page.url()}`);
  return history.evaluate((root) => {
    const kinds = [
      '[data-history-entry]',
      '[class*="timeline__item"]',
      'tbody > tr',
      '.govuk-summary-list__row',
      'li',
    ];
    for (const selector of kinds) {
      let found = [...root.querySelectorAll(selector)];
      if (selector === 'li') found = found.filter((li) => !li.parentElement.closest('li'));
      if (found.length > 0) return found.map((el) => el.textContent.replace(/\s+/g, ' ').trim());
    }
    return [];
  });
}

/** Choose the first option of a <select> that has a non-empty value; returns that value. */
export async function selectFirstRealOption(page, name) {
  const values = await page
    .locator(`select[name="${name}"] option`)
    .evaluateAll((options) => options.map((o) => o.value).filter((v) => v !== ''));
  assert.ok(values.length > 0, `select ${name} has no non-empty option`);
  await page.locator(`select[name="${name}"]`).selectOption(values[0]);
  return values[0];
}

/** Fill a GOV.UK date input group (<name>-day, <name>-month, <name>-year). */
export async function fillDate(page, name, { day, month, year }) {
  await page.locator(`input[name="${name}-day"]`).fill(String(day));
  await page.locator(`input[name="${name}-month"]`).fill(String(month));
  await page.locator(`input[name="${name}-year"]`).fill(String(year));
}
