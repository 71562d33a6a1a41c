// Reads one stream with a generated TypeScript client (compiled to JS), in Node or in
// headless Chromium, and prints one JSON line per event, then {"done": ...} or {"error": ...}.
//
// usage: node read_stream.mjs '{"module": "/abs/chat.js", "function": "chatCompletion",
//   "baseUrl": "http://127.0.0.1:1234", "params": {...}, "options": {...},
//   "limit": 0, "browser": false, "headerCalls": false}'
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const job = JSON.parse(process.argv[2]);
setTimeout(() => {
  console.log(JSON.stringify({ error: 'hard-timeout' }));
  process.exit(3);
}, job.timeoutMs ?? 60000).unref();

// Runs in Node or, serialized, in the page: the same code reads the stream either way.
async function read(client, job) {
  const lines = [];
  let calls = 0;
  const options = { ...job.options };
  if (job.headerCalls) {
    const fixed = options.headers ?? {};
    options.headers = async () => {
      calls += 1;
      return fixed;
    };
  }
  const stream = client[job.function](job.baseUrl, job.params, options);
  try {
    for await (const event of stream) {
      lines.push({ event });
      if (job.limit && lines.length >= job.limit) break;
      if (job.until && event.data && event.data.id === job.until) break;
    }
    lines.push({ done: true, lastEventId: stream.lastEventId ?? null, headerCalls: calls });
  } catch (error) {
    lines.push({
      error: error.constructor.name,
      status: error.status ?? null,
      events: error.events ?? null,
      event: error.event ?? null,
      headerCalls: calls,
    });
  }
  return lines;
}

let lines;
if (!job.browser) {
  lines = await read(await import(pathToFileURL(job.module).href), job);
} else {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.SSEGEN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic'],
  });
  try {
    const page = await browser.newPage();
    const clientUrl = new URL('/__ssegen_client.js', job.baseUrl).href;
    const source = readFileSync(job.module, 'utf-8');
    await page.route(clientUrl, (route) =>
      route.fulfill({ body: source, contentType: 'text/javascript' }),
    );
    await page.goto(new URL('/__ssegen_blank', job.baseUrl).href);
    lines = await page.evaluate(
      async ({ clientUrl, job, read }) => {
        const client = await import(clientUrl);
        // eslint-disable-next-line no-new-func
        return new Function('return ' + read)()(client, job);
      },
      { clientUrl, job, read: read.toString() },
    );
  } finally {
    await browser.close();
  }
}
for (const line of lines) console.log(JSON.stringify(line));
process.exit(0);
