/*
 * Why our own parser and not `eventsource-parser`: both parse the event-stream format of the
 * HTML standard incrementally (chunks split anywhere, CR, LF and CRLF line ends, comments,
 * `id`, `retry`, frames without data dispatch nothing; see sse.test.ts), and neither deals
 * with reconnects: ProgressiveDeliveryClient starts a new parser per connection, so a frame
 * cut by a dropped connection is discarded with it either way. This one is about 100 lines,
 * tested here, and exported in the plugin's API; the library would add a dependency for the
 * same behaviour. Not measured: a parse of the backend's frames (one small JSON per change and
 * a heartbeat comment every 15 s) is far below anything a user could notice with either.
 */
/**
 * One server-sent event, as defined by the HTML living standard's event-stream format.
 *
 * @public
 */
export interface ServerSentEvent {
  /** `message` when the frame names no event. */
  event: string;
  /** The frame's `data` lines, joined by newlines. */
  data: string;
  /** The last event id the stream set, if any. */
  id?: string;
  /** Reconnection time the server asked for, in milliseconds. */
  retry?: number;
}

/**
 * Incremental parser of a `text/event-stream` body. Feed it decoded text chunks as they
 * arrive (they may split lines and frames anywhere); it returns the events completed so far.
 * Comment lines (`: heartbeat`) are ignored.
 *
 * @public
 */
export class ServerSentEventParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;

  /**
   * Parses one more chunk of the body.
   *
   * @param chunk - decoded text, split anywhere
   * @returns the events the chunk completed, in order
   */
  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    let lineEnd = this.findLineEnd();
    while (lineEnd) {
      const line = this.buffer.slice(0, lineEnd.index);
      this.buffer = this.buffer.slice(lineEnd.index + lineEnd.length);
      const event = this.processLine(line);
      if (event) {
        events.push(event);
      }
      lineEnd = this.findLineEnd();
    }
    return events;
  }

  private findLineEnd(): { index: number; length: number } | undefined {
    const match = /\r\n|\r|\n/.exec(this.buffer);
    if (!match) {
      return undefined;
    }
    // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
    if (match[0] === '\r' && match.index === this.buffer.length - 1) {
      return undefined;
    }
    return { index: match.index, length: match[0].length };
  }

  private processLine(line: string): ServerSentEvent | undefined {
    if (line === '') {
      return this.dispatch();
    }
    if (line.startsWith(':')) {
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) {
          this.retry = Number(value);
        }
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const hasData = this.data.length > 0;
    const event: ServerSentEvent = {
      event: this.event || 'message',
      data: this.data.join('\n'),
      ...(this.id !== undefined ? { id: this.id } : {}),
      ...(this.retry !== undefined ? { retry: this.retry } : {}),
    };
    this.event = '';
    this.data = [];
    this.retry = undefined;
    // Per the standard, a frame without data lines dispatches nothing.
    return hasData ? event : undefined;
  }
}
