/* A client for server-sent events over fetch, enough for the backend's change stream. */

export interface ServerSentEvent {
  event: string;
  data: string;
}

/** Turns a text stream into events; feed it chunks as they come, in order. */
export class SseParser {
  #buffer = '';

  push(chunk: string): ServerSentEvent[] {
    this.#buffer += chunk.replace(/\r\n?/g, '\n');
    const events: ServerSentEvent[] = [];
    for (
      let end = this.#buffer.indexOf('\n\n');
      end >= 0;
      end = this.#buffer.indexOf('\n\n')
    ) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        if (field === 'data') data.push(value);
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
    }
    return events;
  }
}

export interface SseSubscription {
  /** Resolves once the response headers arrived (the server accepted the subscription). */
  opened: Promise<void>;
  close(): void;
}

/** Subscribes to `url`; `onEvent` gets each event with the time it arrived (performance.now()). */
export function subscribe(
  url: string,
  headers: Record<string, string>,
  onEvent: (event: ServerSentEvent, receivedAt: number) => void,
): SseSubscription {
  const controller = new AbortController();
  const opened = (async () => {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      throw new Error(
        `the stream answered ${response.status}: ${await response.text()}`,
      );
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          const receivedAt = performance.now();
          for (const event of parser.push(
            decoder.decode(value, { stream: true }),
          )) {
            onEvent(event, receivedAt);
          }
        }
      } catch {
        // aborted by close()
      }
    })();
  })();
  return { opened, close: () => controller.abort() };
}
