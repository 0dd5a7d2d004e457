import { describe, expect, it } from 'vitest';
import { LagMonitor } from '../../relay/metrics.js';

describe('event-loop lag from the relay tick (no timer of its own)', () => {
  it('reports the most a tick ran late over the window, then starts a new window', () => {
    const lag = new LagMonitor(250);
    lag.tick(1000);
    lag.tick(1250.4); // on time
    lag.tick(1560); // 59.6 ms late
    lag.tick(1812); // 2 ms late
    expect(lag.sample()).toBe(59.6);
    expect(lag.lagMs).toBe(59.6);
    lag.tick(2062);
    expect(lag.sample()).toBe(0);
  });

  it('does not count the time before the first tick or across a stop', () => {
    const lag = new LagMonitor(250);
    lag.tick(5000); // the first tick has nothing to be late against
    expect(lag.sample()).toBe(0);
    lag.stop();
    lag.tick(9000); // restarted much later: not a lag
    lag.tick(9250);
    expect(lag.sample()).toBe(0);
  });

  it('is fed by ticks only: it adds no timer to the process', () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const lag = new LagMonitor(250);
    lag.tick(Date.now());
    expect(timers()).toBe(before);
    lag.stop();
  });
});
