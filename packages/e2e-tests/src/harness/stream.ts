import { request } from 'node:http';

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
      let buffer = '';
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
          buffer += chunk;
          for (
            let end = buffer.indexOf('\n\n');
            end >= 0;
            end = buffer.indexOf('\n\n')
          ) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0) {
              stream.messages.push({
                event,
                data: JSON.parse(data.join('\n')),
                receivedAt: Date.now(),
              });
            }
          }
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
