// What every node client shares: its options and the JSON lines it prints.
//
// A client prints one JSON object per line: {kind: "open"}, {kind: "event",
// type, data, lastEventId}, {kind: "error", readyState, status}, and last
// {kind: "done", reason, readyState}. tests/clients/client_runs.py reads them.

export function readOptions() {
  const raw = process.argv[2];
  if (!raw) {
    console.error('usage: node <client>.mjs \'{"url": ..., "events": [...], ...}\'');
    process.exit(64);
  }
  const options = JSON.parse(raw);
  return {
    url: options.url,
    events: options.events ?? ['message'],
    terminal: options.terminal ?? [],
    timeoutMs: options.timeoutMs ?? 20000,
    lingerMs: options.lingerMs ?? 0,
    maxConnections: options.maxConnections ?? 100,
    cookies: options.cookies ?? {},
  };
}

export function emit(record) {
  // Writes to a pipe are synchronous on Linux, so nothing is lost on exit.
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

export function finish(reason, readyState) {
  emit({ kind: 'done', reason, readyState });
  process.exit(0);
}

// A last resort so that a client never hangs the test run.
export function hardDeadline(ms) {
  setTimeout(() => {
    emit({ kind: 'done', reason: 'hard-timeout', readyState: -1 });
    process.exit(3);
  }, ms).unref();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Header values are byte strings: pass the UTF-8 bytes of the id one per
// character, as the eventsource package does, so fetch() sends UTF-8.
export function utf8ByteString(value) {
  let bytes = '';
  for (const byte of new TextEncoder().encode(value)) bytes += String.fromCharCode(byte);
  return bytes;
}
