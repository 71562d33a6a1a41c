// npm `eventsource` 5.x: a WHATWG EventSource for node, built on fetch.
import { EventSource } from 'eventsource';
import { emit, finish, hardDeadline, readOptions } from './report.mjs';

const { url, events, terminal, timeoutMs, lingerMs } = readOptions();
hardDeadline(timeoutMs + 5000);

const source = new EventSource(url);
let finished = false;
const stop = (reason) => {
  if (finished) return;
  finished = true;
  const state = source.readyState;
  source.close();
  finish(reason, state);
};

source.addEventListener('open', () => emit({ kind: 'open' }));
for (const name of events) {
  source.addEventListener(name, (event) => {
    emit({ kind: 'event', type: event.type, data: event.data, lastEventId: event.lastEventId });
    if (terminal.includes(name)) stop('terminal');
  });
}
source.addEventListener('error', (event) => {
  emit({ kind: 'error', readyState: source.readyState, status: event.code ?? null });
  // [WHATWG] A failed connection (204, other statuses, wrong type) is CLOSED for good;
  // stay a while without closing it ourselves, so a wrong reconnect would show.
  if (source.readyState === source.CLOSED) setTimeout(() => stop('closed'), lingerMs);
});
setTimeout(() => stop('timeout'), timeoutMs);
