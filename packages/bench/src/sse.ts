/* A client for server-sent events over fetch, enough for the backend's change stream. */
import { createParser } from 'eventsource-parser';

export interface ServerSentEvent {
  event: string;
  data: string;
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
    let receivedAt = 0;
    const parser = createParser({
      onEvent: ({ event, data }) =>
        onEvent({ event: event ?? 'message', data }, receivedAt),
    });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          receivedAt = performance.now();
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch {
        // aborted by close()
      }
    })();
  })();
  return { opened, close: () => controller.abort() };
}
