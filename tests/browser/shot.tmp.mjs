import { launchBrowser, newPage, signIn, visit, assertNoAxeViolations } from './helpers.mjs';
const base = process.argv[2];
const paths = process.argv.slice(3);
const browser = await launchBrowser();
const page = await newPage(browser, base);
await signIn(page, 'demo-password-123');
for (const p of paths) {
  await visit(page, p);
  const name = p.replace(/[^a-z0-9]+/gi, '_');
  await page.screenshot({ path: `/tmp/shot${name}.png`, fullPage: true });
  try { await assertNoAxeViolations(page, p); console.log('axe ok', p); } catch (e) { console.log('AXE', p, e.message.slice(0, 600)); }
}
await browser.close();
