import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RtpIoHost, autoIoThreads } from './rtp-io-host.js';
import { LocalMediaHost } from './local-media-host.js';
import { createAllowList } from '../address-allow-list.js';
import { createCounters } from '../ingest-counters.js';
import type { LegMedia } from '../rtp-receiver.js';

const base = 33000 + (process.pid % 50) * 20;
const opts = { host: '127.0.0.1', portMin: base, portMax: base + 9, jitterDepth: 3, allow: ['127.0.0.1'] };
const pcmu: LegMedia = {
  payloadType: 0,
  codec: 'PCMU',
  skipPayloadTypes: [],
  expectedAddress: '127.0.0.1',
  onHold: false,
};

test('auto I/O threads: one per 8 cores, 1 to 16', () => {
  assert.equal([1, 2, 8, 9, 32, 64, 256].map(autoIoThreads), [1, 1, 1, 2, 4, 8, 16]);
});

const rtpIOHostTitle =
  'RTP I/O host lifecycle: start and close idempotent, ports bound on the thread and freed, closed stays closed';
test(rtpIOHostTitle, async () => {
  const host = new RtpIoHost(opts, 1);
  assert.is(host.state, 'idle');
  const a = host.start();
  assert.is(host.start(), a, 'one start');
  assert.is(host.state, 'starting');
  await a;
  assert.is(host.state, 'running');
  const prepared = await host.prepare('call-1', [pcmu, pcmu]);
  assert.ok(prepared.ok);
  if (!prepared.ok) return;
  assert.is(prepared.ports.length, 2);
  assert.is(host.portsUsed, 2);
  assert.equal(host.legsPerThread(), [2]);
  const legs = prepared.start([null, null]);
  assert.is(legs[0].codec, 'PCMU');
  assert.is(legs[0].sampleRate, 8000);
  // The thread measures its own CPU (Linux): its start-up alone is some, and it is published with the counters.
  for (let i = 0; i < 40 && !(host.cpuSeconds()[0]! > 0); i++) await new Promise((r) => setTimeout(r, 50));
  const cpu = host.cpuSeconds()[0]!;
  assert.ok(cpu > 0 && cpu <= host.busySeconds()[0] + 0.5, `thread CPU ${cpu} s, busy ${host.busySeconds()[0]} s`);
  await Promise.all([host.close(), host.close()]);
  assert.is(host.state, 'closed');
  assert.is(host.portsUsed, 0, 'legs closed with the host');
  await host.start();
  assert.is(host.state, 'closed', 'a closed host does not start again');
  const after = await host.prepare('call-2', [pcmu]);
  assert.is(after.ok, false);
});

const localHostLifecycleAndTitle =
  'local host lifecycle, and a sink count that does not match the legs is refused before anything starts';
test(localHostLifecycleAndTitle, async () => {
  const allow = createAllowList(['127.0.0.1']);
  if (!allow.ok) throw new Error(allow.detail);
  const host = new LocalMediaHost(opts, allow.list, createCounters());
  assert.is(host.state, 'idle');
  await Promise.all([host.start(), host.start()]);
  assert.is(host.state, 'running');
  const prepared = await host.prepare('call-3', [pcmu]);
  assert.ok(prepared.ok);
  if (!prepared.ok) return;
  assert.throws(() => prepared.start([null, null]), /2 outputs for 1 legs/);
  prepared.release();
  assert.is(host.portsUsed, 0);
  await host.close();
  assert.is(host.state, 'closed');
});

test.run();
