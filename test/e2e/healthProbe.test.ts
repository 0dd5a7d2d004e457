import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probe } from '../../scripts/stack/healthWatch.js';

const servers: Array<Server | TcpServer> = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen<S extends Server | TcpServer>(server: S): Promise<string> {
  servers.push(server);
  server.on('connection', (s: Socket) => sockets.add(s.once('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
}

describe("npm start's health probe", () => {
  it('passes a 2xx answer and leaves no connection open in the watched process', async () => {
    let path = '';
    const server = createServer((req, res) => {
      path = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', relays: [{ relayId: 'r'.repeat(5000) }] })); // a long body
    });
    const url = await listen(server);
    expect(await probe(`${url}?counts=0`, 2000)).toBeUndefined();
    expect(path).toBe('/health?counts=0');
    const open = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    expect(open).toBe(0);
  });

  it('judges an answer by its own length when the server keeps the connection (workerd does)', async () => {
    const body = '{"status":"ok"}';
    const sized = await listen(
      createTcpServer((s) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`)),
    );
    expect(await probe(sized, 1000)).toBeUndefined();
    const chunked = await listen(
      createTcpServer((s) => {
        s.write('HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n4\r\nbusy\r\n');
        setTimeout(() => s.write('0\r\n\r\n'), 50);
      }),
    );
    expect(await probe(chunked, 1000)).toBe('HTTP 503');
  });

  it('fails on a non-2xx answer, on silence, on a refused connection and on something not HTTP', async () => {
    const url503 = await listen(createServer((_req, res) => void res.writeHead(503).end('draining')));
    expect(await probe(url503, 2000)).toBe('HTTP 503');

    const frozen = await listen(createTcpServer(() => undefined)); // accepts, never answers (SIGSTOP-like)
    expect(await probe(frozen, 300)).toBe('no answer within 300 ms');

    const refusedPort = Number(new URL(await listen(createTcpServer())).port);
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probe(`http://127.0.0.1:${refusedPort}/health`, 2000)).toMatch(/ECONNREFUSED/);

    const garbage = await listen(createTcpServer((s) => s.end('SSH-2.0-OpenSSH\r\n')));
    expect(await probe(garbage, 2000)).toBe('no HTTP answer');
  });
});
