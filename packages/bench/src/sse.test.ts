import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ServerSentEvent, subscribe } from './sse';

describe('subscribe', () => {
  let server: Server;

  afterEach(() => new Promise(done => server.close(done)));

  it('yields the events of a stream written in pieces split anywhere, with their names', async () => {
    const pieces = [
      ': connected\n\nevent: change\ndata: {"type":',
      '"canary-changed"}\n\n: heartbeat\n\nevent: chan',
      'ge\r\ndata: a\r\ndata: b\r\n\r\ndata:x\n\n',
    ];
    server = createServer((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let next = 0;
      const write = () => {
        if (next === pieces.length) return;
        res.write(pieces[next++]);
        setTimeout(write, 20);
      };
      write();
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const events: ServerSentEvent[] = [];
    const subscription = subscribe(`http://127.0.0.1:${port}/`, {}, event =>
      events.push(event),
    );
    await subscription.opened;
    const deadline = Date.now() + 5000;
    while (events.length < 3 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    subscription.close();
    expect(events).toEqual([
      { event: 'change', data: '{"type":"canary-changed"}' },
      { event: 'change', data: 'a\nb' },
      { event: 'message', data: 'x' },
    ]);
  });
});
