/**
 * The sending side of bench:fanout's kernel floor (kernelFloor.ts), in a process of its own so that
 * its CPU is counted apart: one UDP socket per destination, as the relay has one per subscriber, and
 * the relay's own send path (`UdpPath`: sendto(2) through koffi) with nothing else per packet: no
 * SRTP, no header rewrite. What this process spends per datagram is what the kernel charges a
 * sender on this machine today.
 *
 * Protocol (IPC): argv = ports (comma separated), packet size, packets/s per destination. Replies
 * `{ type: 'ready', direct }` once bound; `start` begins sending in 20 ms ticks, each datagram
 * carrying its tick's number in its first 4 bytes; `count` replies `{ type: 'count', sent, tick }`
 * (datagrams sent so far, the next tick's number); `stop` ends it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { UdpPath } from '../../relay/net/directUdp.js';

const [portList = '', sizeArg = '240', ppsArg = '150'] = process.argv.slice(2);
const ports = portList.split(',').filter(Boolean).map(Number);
const packet = Buffer.alloc(Number(sizeArg), 0xaa);
const perTick = Number(ppsArg) / 50;

const sockets: Socket[] = [];
const paths: UdpPath[] = [];
for (const port of ports) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  sockets.push(socket);
  paths.push(new UdpPath(socket, '127.0.0.1', port));
}

let timer: NodeJS.Timeout | undefined;
let sent = 0;
let tick = 0;
process.on('message', (m: unknown) => {
  if (m === 'start' && !timer) {
    let owed = 0;
    timer = setInterval(() => {
      packet.writeUInt32BE(tick++, 0);
      owed += perTick;
      while (owed >= 1) {
        owed--;
        for (const path of paths) path.send(packet, packet.length, true); // rewritten next tick: copied if queued
        sent += paths.length;
      }
    }, 20);
  } else if (m === 'count') {
    process.send?.({ type: 'count', sent, tick });
  } else if (m === 'stop') {
    clearInterval(timer);
    timer = undefined;
    for (const s of sockets) s.close();
    process.disconnect();
  }
});
process.send?.({ type: 'ready', direct: paths.every((p) => p.directCapable) });
