// Feeds parsing vectors to a generated TypeScript client's EventStreamDecoder (compiled).
// usage: node decode_vectors.mjs /abs/jobs.js '[{"connections": [[byte, ...], ...], "split": 1}]'
// Prints, per vector, per connection: {"events": [[type, data, lastEventId], ...], "retry": n|null}.
import { pathToFileURL } from 'node:url';

const client = await import(pathToFileURL(process.argv[2]).href);
const vectors = JSON.parse(process.argv[3]);
const results = vectors.map(({ connections, split }) => {
  let lastEventId = '';
  return connections.map((bytes) => {
    const decoder = new client.EventStreamDecoder(lastEventId);
    const text = new TextDecoder('utf-8');
    const body = Uint8Array.from(bytes);
    const events = [];
    const size = split ? 1 : body.length || 1;
    for (let start = 0; start < body.length; start += size) {
      const piece = text.decode(body.subarray(start, start + size), { stream: true });
      for (const event of decoder.feed(piece)) events.push([event.type, event.data, event.lastEventId]);
    }
    for (const event of decoder.feed(text.decode())) events.push([event.type, event.data, event.lastEventId]);
    lastEventId = decoder.lastEventId;
    return { events, retry: decoder.retry };
  });
});
console.log(JSON.stringify(results));
