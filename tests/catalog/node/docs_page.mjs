// Load a docs page in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// scroll it all into view (Scalar renders sections lazily), then report which of the
// expected names appear as a whole line of the page's text, and keep a screenshot.
// Also reports the events overview as first shown (`overview`, with a screenshot of the
// first screen when `firstScreen` is set) and the reference's status message, if any.
// Usage: node docs_page.mjs '{"url": ..., "names": [...], "screenshot": ..., "timeoutMs": ...,
//   "ready": <text that means loaded>, "firstScreen": <path>}'
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.SSEGEN_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const options = JSON.parse(process.argv[2]);
setTimeout(() => {
  console.error('docs_page: hard deadline reached');
  process.exit(3);
}, options.timeoutMs + 30000).unref();

// A fresh profile each run: nothing cached or remembered between tests.
const profile = mkdtempSync(join(tmpdir(), 'ssegen-docs-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ARGS,
  viewport: { width: 1400, height: 1000 },
});
const failures = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => failures.push(String(error)));
  page.on('requestfailed', (request) => {
    // Only what the page needs from its own server counts; nothing else is reachable offline.
    if (request.url().startsWith(new URL(options.url).origin)) failures.push(`failed: ${request.url()}`);
  });
  await page.goto(options.url, { waitUntil: 'load', timeout: options.timeoutMs });
  // What is on the page before anything is clicked or scrolled: the events overview.
  const overview = await page.evaluate(() =>
    [...document.querySelectorAll('#events article.stream')].map((stream) => ({
      heading: stream.querySelector('h2').innerText,
      events: [...stream.querySelectorAll('tr.event td:first-child')].map((cell) => cell.innerText),
    })),
  );
  if (options.firstScreen) await page.screenshot({ path: options.firstScreen });
  // Scalar is ready when the document's version badge is on the page.
  await page.getByText(options.ready, { exact: false }).first().waitFor({ timeout: options.timeoutMs });
  let height = 0;
  for (let round = 0; round < 200; round++) {
    const next = await page.evaluate(() => document.documentElement.scrollHeight);
    const position = await page.evaluate(() => window.scrollY + window.innerHeight);
    if (next === height && position >= next) break;
    height = next;
    await page.mouse.wheel(0, 800);
    await page.waitForTimeout(50);
  }
  // A name counts when it is a whole line of the rendered text: a model, a discriminator
  // value or an example of its own, not a word inside a sentence.
  const text = await page.evaluate(() => document.body.innerText);
  const lines = new Set(text.split('\n').map((line) => line.replaceAll('\u200b', '').trim()));
  const found = Object.fromEntries(options.names.map((name) => [name, lines.has(name)]));
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: options.screenshot, fullPage: true });
  const status = await page.evaluate(() => document.getElementById('reference-status')?.innerText ?? null);
  console.log(JSON.stringify({ found, text, failures, overview, status }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
