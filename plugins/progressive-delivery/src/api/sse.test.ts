import { ServerSentEventParser } from './sse';

describe('ServerSentEventParser', () => {
  it('parses a named event with JSON data', () => {
    const parser = new ServerSentEventParser();
    expect(
      parser.push('event: change\ndata: {"type":"canary-changed"}\n\n'),
    ).toEqual([{ event: 'change', data: '{"type":"canary-changed"}' }]);
  });

  it('assembles frames split across chunks anywhere, including inside CRLF', () => {
    const parser = new ServerSentEventParser();
    const text =
      'event: change\r\ndata: {"a":1}\r\n\r\nevent: change\r\ndata: {"a":2}\r\n\r\n';
    const events = text.split('').flatMap(char => parser.push(char));
    expect(events).toEqual([
      { event: 'change', data: '{"a":1}' },
      { event: 'change', data: '{"a":2}' },
    ]);
  });

  it('ignores comments such as heartbeats and keeps no partial frame', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push(': heartbeat\n\n')).toEqual([]);
    expect(parser.push('event: change\ndata: x')).toEqual([]);
    expect(parser.push('\n\n')).toEqual([{ event: 'change', data: 'x' }]);
  });

  it('joins multi-line data, defaults the event name and reads id and retry', () => {
    const parser = new ServerSentEventParser();
    expect(
      parser.push('id: 7\nretry: 2500\ndata: first\ndata:second\n\n'),
    ).toEqual([
      { event: 'message', data: 'first\nsecond', id: '7', retry: 2500 },
    ]);
  });

  it('does not dispatch a frame without data and resets the event name after each frame', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('event: change\n\ndata: plain\n\n')).toEqual([
      { event: 'message', data: 'plain' },
    ]);
  });

  it('ignores unknown fields and an invalid retry', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('foo: bar\nretry: soon\ndata: ok\n\n')).toEqual([
      { event: 'message', data: 'ok' },
    ]);
  });
});
