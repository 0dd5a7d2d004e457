/**
 * A counting UDP relay between ffmpeg and a server's mountpoint port: what was sent, the same for
 * every server. It runs in a process of its own, so that the viewers' load in the benchmark's
 * process cannot make it drop what ffmpeg sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cleanups } from '../support/cleanup.js';

/** The child: binds a loopback port, prints it, forwards every datagram to the target, prints its count every 50 ms. */
const CHILD = `
const dgram = require('node:dgram');
const [host, port] = [process.argv[1], Number(process.argv[2])];
const inSock = dgram.createSocket('udp4'), out = dgram.createSocket('udp4');
let n = 0;
inSock.on('message', (m) => { n++; out.send(m, port, host); });
inSock.bind(0, '127.0.0.1', () => {
  process.stdout.write('port ' + inSock.address().port + '\\n');
  setInterval(() => process.stdout.write('count ' + n + '\\n'), 50);
});
`;

export class UdpTee {
  packets = 0;
  port = 0;

  private constructor(private readonly child: ChildProcess) {}

  static async open(to: { host: string; port: number }): Promise<UdpTee> {
    const child = spawn(process.execPath, ['-e', CHILD, to.host, String(to.port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => void child.kill('SIGKILL'));
    const tee = new UdpTee(child);
    let buf = '';
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const [what, value] = buf.slice(0, nl).split(' ');
          buf = buf.slice(nl + 1);
          if (what === 'port') {
            tee.port = Number(value);
            resolve();
          } else if (what === 'count') tee.packets = Number(value);
        }
      }),
    );
    return tee;
  }

  close(): void {
    this.child.kill('SIGKILL');
  }
}
