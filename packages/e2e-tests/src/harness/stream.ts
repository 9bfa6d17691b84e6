import { request } from 'node:http';
import { createParser } from 'eventsource-parser';

export interface StreamMessage {
  event: string;
  data: any;
  receivedAt: number;
}

/**
 * One subscription to the backend's server-sent events over a plain HTTP connection of its
 * own (no pooling, so hundreds of them are hundreds of open streams).
 */
export class EventStream {
  readonly messages: StreamMessage[] = [];
  /** Set when the server ended the stream or the connection failed before close(). */
  endedEarly?: string;
  status?: number;
  #closing = false;
  readonly #destroy: () => void;

  private constructor(destroy: () => void) {
    this.#destroy = destroy;
  }

  /** Resolves once the server answered 200 and sent its first line. */
  static open(url: string, token: string): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        agent: false,
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${token}`,
        },
      });
      const stream = new EventStream(() => req.destroy());
      const parser = createParser({
        onEvent: ({ event, data }) =>
          stream.messages.push({
            event: event ?? 'message',
            data: JSON.parse(data),
            receivedAt: Date.now(),
          }),
      });
      let opened = false;
      req.on('response', response => {
        stream.status = response.statusCode;
        if (response.statusCode !== 200) {
          reject(new Error(`the stream answered ${response.statusCode}`));
          response.resume();
          return;
        }
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (!opened) {
            opened = true;
            resolve(stream);
          }
          parser.feed(chunk);
        });
        response.on('close', () => {
          if (!stream.#closing)
            stream.endedEarly ??= 'the server ended the stream';
        });
      });
      req.on('error', error => {
        if (!opened) reject(error);
        if (!stream.#closing) stream.endedEarly ??= String(error);
      });
      req.end();
    });
  }

  close() {
    this.#closing = true;
    this.#destroy();
  }
}
