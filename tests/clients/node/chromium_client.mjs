// Headless Chromium's own EventSource (Debian's /usr/bin/chromium via playwright-core).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { emit, finish, hardDeadline, readOptions } from './report.mjs';

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

const options = readOptions();
hardDeadline(options.timeoutMs + 30000);

// A fresh profile each run: nothing cached or remembered between tests.
const profile = mkdtempSync(join(tmpdir(), 'ssegen-chromium-'));
let outcome = { reason: 'browser-failed', readyState: -1 };
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ARGS,
});
try {
  // Cookies of the stream's origin, as a logged-in page would have them (a session cookie).
  const cookies = Object.entries(options.cookies).map(([name, value]) => ({
    name,
    value,
    url: options.url,
  }));
  if (cookies.length) await context.addCookies(cookies);
  const page = context.pages()[0] ?? (await context.newPage());
  // Same origin as the stream, so no CORS is involved.
  await page.goto(new URL('/blank', options.url).href);
  const result = await page.evaluate(
    ({ url, events, terminal, timeoutMs, lingerMs }) =>
      new Promise((resolve) => {
        const records = [];
        const source = new EventSource(url);
        let finished = false;
        const stop = (reason) => {
          if (finished) return;
          finished = true;
          const readyState = source.readyState;
          source.close();
          resolve({ records, reason, readyState });
        };
        source.onopen = () => records.push({ kind: 'open' });
        for (const name of events) {
          source.addEventListener(name, (event) => {
            records.push({
              kind: 'event',
              type: event.type,
              data: event.data,
              lastEventId: event.lastEventId,
            });
            if (terminal.includes(name)) stop('terminal');
          });
        }
        source.onerror = () => {
          records.push({ kind: 'error', readyState: source.readyState, status: null });
          if (source.readyState === EventSource.CLOSED) setTimeout(() => stop('closed'), lingerMs);
        };
        setTimeout(() => stop('timeout'), timeoutMs);
      }),
    options,
  );
  for (const record of result.records) emit(record);
  outcome = result;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
finish(outcome.reason, outcome.readyState);
