// ---- ssegen client runtime: the same in every generated file (README, "Clients") ----
//
// A stream's states: CONNECTING (fetch with fresh headers and, once an id has
// arrived, Last-Event-ID) -> OPEN (decode and yield) -> CLOSED on the
// terminal event or 204; a cut or an early end -> WAITING (the server's
// `retry:`, else the spec's, else 3 s) -> CONNECTING, but only when the
// stream declares `resume` or is a GET without a body; otherwise
// StreamInterrupted: a POST that starts work is never sent twice.

/** Headers for every connection: a record, or a function called before each one. */
export type HeadersSource =
  | { [name: string]: string }
  | (() => { [name: string]: string } | Promise<{ [name: string]: string }>);

export interface StreamOptions {
  /** Sent with every request; a function is called again for every reconnect. */
  headers?: HeadersSource;
  /** Aborting ends the stream: the iteration finishes without an error. */
  signal?: AbortSignal;
  /** Resume after this event id (the stream's `lastEventId` of an earlier read). */
  lastEventId?: string;
  /** Overrides the server's `retry:` between reconnects. */
  reconnectDelayMs?: number;
  /** Failed reconnects in a row before StreamInterrupted; default: no limit. */
  maxReconnects?: number;
  /** Events this client does not know (a newer server's); otherwise skipped. */
  onUnknown?: (event: RawEvent) => void;
  /** Cookies: fetch's `credentials` (a browser sends same-origin cookies by default). */
  credentials?: RequestCredentials;
  fetch?: typeof fetch;
}

/** One parsed event, as WHATWG's event stream interpretation dispatches it. */
export interface RawEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** `ssegen.missed`: the topic no longer holds the events after `data.last_event_id`. */
export interface Missed {
  event: "ssegen.missed";
  data: { last_event_id: string };
  id: string;
}

export class ClientError extends Error {}

/** The server refused the stream before it started (a status other than 200 and 204). */
export class StatusError extends ClientError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: globalThis.Headers,
  ) {
    super(`${status}`);
  }
}

/** The stream was cut, and its contract does not allow sending the request again. */
export class StreamInterrupted extends ClientError {
  constructor(
    readonly stream: string,
    readonly events: number,
  ) {
    super(`stream ${stream} was cut after ${events} events`);
  }
}

/** The stream sent its error event; `event` holds it. */
export class ErrorEventError<E> extends ClientError {
  constructor(readonly event: E) {
    super("the stream sent its error event");
  }
}

interface _Tell {
  kind: "const" | "member" | "other" | "text" | "empty";
  property?: string;
  value?: string;
}

interface _EventRule {
  name: string;
  seenAs: string;
  payload: "json" | "text" | "none";
  terminal: boolean;
  error: boolean;
  tell?: _Tell;
}

interface _Route {
  stream: string;
  method: string;
  path: string;
  resumable: boolean;
  hasBody: boolean;
  retry: number | null;
  events: _EventRule[];
}

interface _Request {
  path: { [name: string]: unknown };
  query: { [name: string]: unknown };
  headers: { [name: string]: unknown };
  body?: unknown;
}

/** WHATWG "interpreting an event stream", fed decoded text (a TextDecoder drops the BOM). */
export class EventStreamDecoder {
  private pending = "";
  private cr = false;
  private data: string[] = [];
  private type = "";
  private idBuffer: string;
  lastEventId: string;
  retry: number | null = null;

  constructor(lastEventId: string) {
    this.idBuffer = lastEventId;
    this.lastEventId = lastEventId;
  }

  feed(text: string): RawEvent[] {
    const events: RawEvent[] = [];
    if (!text) return events;
    if (this.cr && text.startsWith("\n")) text = text.slice(1);
    this.cr = false;
    const buffer = this.pending + text;
    let start = 0;
    for (;;) {
      const cr = buffer.indexOf("\r", start);
      const lf = buffer.indexOf("\n", start);
      if (cr < 0 && lf < 0) break;
      const end = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
      const line = buffer.slice(start, end);
      if (buffer[end] === "\r") {
        if (end + 1 < buffer.length) start = buffer[end + 1] === "\n" ? end + 2 : end + 1;
        else {
          start = end + 1;
          this.cr = true;
        }
      } else start = end + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.pending = buffer.slice(start);
    return events;
  }

  private line(line: string): RawEvent | null {
    if (line === "") {
      this.lastEventId = this.idBuffer;
      const data = this.data;
      const type = this.type;
      this.data = [];
      this.type = "";
      if (data.length === 0) return null;
      return { type: type || "message", data: data.join("\n"), lastEventId: this.lastEventId };
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") this.data.push(value);
    else if (name === "event") this.type = value;
    else if (name === "id") {
      if (!value.includes("\0")) this.idBuffer = value;
    } else if (name === "retry" && /^[0-9]+$/.test(value)) this.retry = Number(value);
    return null;
  }
}

function _wire(value: unknown): string {
  return typeof value === "boolean" ? (value ? "true" : "false") : String(value);
}

function _rule(route: _Route, raw: RawEvent): _EventRule | undefined {
  const candidates = route.events.filter((rule) => rule.seenAs === raw.type);
  if (candidates.length <= 1) return candidates[0];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.data);
  } catch {
    parsed = undefined;
  }
  const object =
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as { [name: string]: unknown })
      : undefined;
  let other: _EventRule | undefined;
  for (const rule of candidates) {
    const tell = rule.tell;
    if (!tell) continue;
    if (tell.kind === "text" && raw.data === tell.value) return rule;
    if (tell.kind === "empty" && raw.data === "") return rule;
    if (object && tell.kind === "const" && object[tell.property ?? ""] === tell.value) return rule;
    if (object && tell.kind === "member" && (tell.property ?? "") in object) return rule;
    if (object && tell.kind === "other") other = rule;
  }
  return other;
}

function _decode(route: _Route, raw: RawEvent): { rule?: _EventRule; value?: object } {
  if (raw.type === "ssegen.missed") {
    let after = "";
    try {
      after = String((JSON.parse(raw.data) as { last_event_id?: unknown }).last_event_id ?? "");
    } catch {
      after = "";
    }
    return { value: { event: "ssegen.missed", data: { last_event_id: after }, id: raw.lastEventId } };
  }
  const rule = _rule(route, raw);
  if (!rule) return {};
  if (rule.payload === "none") return { rule, value: { event: rule.name, id: raw.lastEventId } };
  let data: unknown = raw.data;
  if (rule.payload === "json") {
    try {
      data = JSON.parse(raw.data);
    } catch {
      return {};
    }
  }
  return { rule, value: { event: rule.name, data, id: raw.lastEventId } };
}

function _sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The events of one stream (an async iterable) and the id to resume it from later. */
export class EventStream<E> implements AsyncIterable<E> {
  /** The last id the server sent; pass it back as `lastEventId` to resume. */
  lastEventId: string | undefined;
  private readonly events: AsyncGenerator<E>;

  constructor(run: (stream: EventStream<E>) => AsyncGenerator<E>) {
    this.events = run(this);
  }

  [Symbol.asyncIterator](): AsyncGenerator<E> {
    return this.events;
  }
}

function _open<E>(baseUrl: string, route: _Route, request: _Request, options: StreamOptions): EventStream<E> {
  return new EventStream<E>((stream) => _read<E>(stream, baseUrl, route, request, options));
}

async function* _read<E>(
  stream: EventStream<E>,
  baseUrl: string,
  route: _Route,
  request: _Request,
  options: StreamOptions,
): AsyncGenerator<E> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let path = route.path;
  for (const [name, value] of Object.entries(request.path)) {
    path = path.replace(`{${name}}`, encodeURIComponent(_wire(value)));
  }
  const url = new URL(baseUrl.replace(/\/+$/, "") + path);
  for (const [name, value] of Object.entries(request.query)) {
    if (value !== undefined && value !== null) url.searchParams.set(name, _wire(value));
  }
  const mayReconnect = route.resumable || (route.method === "GET" && !route.hasBody);
  const terminal = route.events.some((rule) => rule.terminal);
  let lastId = options.lastEventId ?? "";
  let retry = route.retry;
  let received = 0;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) return;
    const headers: { [name: string]: string } = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && value !== null) headers[name] = _wire(value);
    }
    const source = options.headers;
    Object.assign(headers, typeof source === "function" ? await source() : (source ?? {}));
    headers["Accept"] = "text/event-stream";
    if (lastId && route.resumable) headers["Last-Event-ID"] = lastId;
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    let cut = false;
    try {
      const response = await doFetch(url, {
        method: route.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: options.signal,
        credentials: options.credentials,
        cache: "no-store",
      });
      if (response.status === 204) return;
      if (response.status !== 200 || !response.body) {
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        throw new StatusError(response.status, body, response.headers);
      }
      const reader = response.body.getReader();
      const text = new TextDecoder("utf-8");
      const decoder = new EventStreamDecoder(lastId);
      try {
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          for (const raw of decoder.feed(text.decode(chunk.value, { stream: true }))) {
            lastId = decoder.lastEventId;
            if (lastId) stream.lastEventId = lastId;
            const { rule, value } = _decode(route, raw);
            if (value === undefined) {
              options.onUnknown?.(raw);
              continue;
            }
            received += 1;
            failures = 0;
            if (rule?.error) throw new ErrorEventError(value);
            yield value as E;
            if (rule?.terminal) return;
          }
          if (decoder.retry !== null) retry = decoder.retry;
        }
      } finally {
        reader.cancel().catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof ClientError) throw error;
      if (options.signal?.aborted) return;
      cut = true;
    }
    if (!mayReconnect) {
      if (!cut && !terminal) return;
      throw new StreamInterrupted(route.stream, received);
    }
    failures += 1;
    if (options.maxReconnects !== undefined && failures > options.maxReconnects) {
      throw new StreamInterrupted(route.stream, received);
    }
    await _sleep(options.reconnectDelayMs ?? retry ?? 3000, options.signal);
  }
}
