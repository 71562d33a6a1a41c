// npm `eventsource-parser` 4.x over fetch, with the reconnect loop such clients write
// themselves: Last-Event-ID from the last dispatched id, `retry:` honoured, 204 stops.
import { createParser } from 'eventsource-parser';
import { emit, finish, hardDeadline, readOptions, sleep, utf8ByteString } from './report.mjs';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const { url, events, terminal, timeoutMs, lingerMs, maxConnections } = readOptions();
hardDeadline(timeoutMs + 5000);
const deadline = Date.now() + timeoutMs;

let lastEventId = '';
let retryMs = 3000;
let stopped = false;
let controller;

const parser = createParser({
  // Called when a blank line ends a block with an id: the id of a dispatched event.
  onId: (id) => {
    lastEventId = id;
  },
  onRetry: (ms) => {
    retryMs = ms;
  },
  onEvent: (event) => {
    if (stopped) return;
    const type = event.event ?? 'message';
    if (!events.includes(type)) return;
    emit({ kind: 'event', type, data: event.data, lastEventId });
    if (terminal.includes(type)) {
      stopped = true;
      controller.abort();
      finish('terminal', CLOSED);
    }
  },
});

for (let attempt = 0; attempt < maxConnections && Date.now() < deadline; attempt += 1) {
  controller = new AbortController();
  const headers = { Accept: 'text/event-stream', 'Cache-Control': 'no-store' };
  if (lastEventId) headers['Last-Event-ID'] = utf8ByteString(lastEventId);
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !type.startsWith('text/event-stream')) {
      emit({ kind: 'error', readyState: CLOSED, status: response.status });
      await response.body?.cancel();
      await sleep(lingerMs);
      finish('closed', CLOSED);
    }
    emit({ kind: 'open' });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
  } catch (error) {
    if (stopped) break;
    // A dropped connection: reconnect, as EventSource does.
  }
  // An event cut off by the end of the connection is never dispatched.
  parser.reset();
  emit({ kind: 'error', readyState: CONNECTING, status: null });
  await sleep(retryMs);
}
if (!stopped) finish('timeout', CONNECTING);
