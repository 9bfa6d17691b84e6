import { SseParser } from './sse';

describe('SseParser', () => {
  it('yields events split across chunks, with their names and data', () => {
    const parser = new SseParser();
    expect(parser.push('event: change\ndata: {"type":')).toEqual([]);
    expect(
      parser.push('"canary-changed"}\n\n: heartbeat\n\nevent: chan'),
    ).toEqual([{ event: 'change', data: '{"type":"canary-changed"}' }]);
    expect(parser.push('ge\r\ndata: a\r\ndata: b\r\n\r\n')).toEqual([
      { event: 'change', data: 'a\nb' },
    ]);
  });

  it('names events without an event field "message" and ignores comment-only blocks', () => {
    const parser = new SseParser();
    expect(parser.push(':ping\n\ndata:x\n\n')).toEqual([
      { event: 'message', data: 'x' },
    ]);
  });
});
