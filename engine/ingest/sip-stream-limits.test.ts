import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer, type SiprecServer } from './siprec-server.js';
import { SipTestPeer } from './fixtures/sip-test-peer.js';
import { inDialogRequest } from './fixtures/siprec-invite.js';
import { SipStreamFramer } from './sip-stream-framer.js';
import { effectiveMaxConnections } from './sip-transport.js';

/** What a peer on a SIP stream can cost us: framing work, connections, buffers held open, file descriptors. */

function bigOptions(headerBytes: number): Buffer {
  const filler = Array.from({ length: Math.ceil(headerBytes / 60) }, (_, i) => `X-Filler-${i}: ${'f'.repeat(44)}`);
  const head = [
    'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-big',
    'From: <sip:a@b>;tag=1',
    'To: <sip:c@d>',
    'Call-ID: big',
    'CSeq: 1 OPTIONS',
    ...filler,
    'Content-Length: 5',
  ];
  return Buffer.from(head.join('\r\n') + '\r\n\r\nhello', 'latin1');
}

test('framer: a message trickled in small segments is examined once, whatever is already buffered', () => {
  const msg = bigOptions(40_000);
  const framer = new SipStreamFramer(65_535);
  const got: Buffer[] = [];
  for (let i = 0; i < msg.length; i += 100) {
    for (const ev of framer.push(msg.subarray(i, i + 100))) if (ev.type === 'message') got.push(ev.data);
  }
  assert.is(got.length, 1);
  assert.ok(got[0].equals(msg));
  // Each header byte is searched once, plus the 3 bytes a terminator could straddle per segment. The framer before
  // this one searched everything buffered again on each segment: about 8 MB for this message.
  const segments = Math.ceil(msg.length / 100);
  assert.ok(
    framer.bytesScanned <= msg.length + 3 * segments,
    `${framer.bytesScanned} bytes scanned for a ${msg.length}-byte message`,
  );
});

const framerOneByteAtTitle =
  'framer: one byte at a time, several messages and keep-alives in one segment, a message split at every offset';
test(framerOneByteAtTitle, () => {
  const a = bigOptions(300);
  const b = Buffer.from(a.toString('latin1').replace('Call-ID: big', 'Call-ID: two'), 'latin1');
  const stream = Buffer.concat([Buffer.from('\r\n\r\n'), a, Buffer.from('\r\n\r\n'), b, a]);
  const oneByOne = new SipStreamFramer(65_535);
  const events = [...stream].flatMap((byte) => oneByOne.push(Buffer.from([byte])));
  assert.is(events.filter((e) => e.type === 'message').length, 3);
  const whole = new SipStreamFramer(65_535).push(stream);
  assert.equal(
    whole.map((e) => e.type),
    ['keepalive', 'message', 'keepalive', 'message', 'message'],
  );
  for (let cut = 1; cut < a.length; cut += 7) {
    const f = new SipStreamFramer(65_535);
    const ev = [...f.push(a.subarray(0, cut)), ...f.push(a.subarray(cut))];
    assert.is(ev.length, 1, `cut at ${cut}`);
    assert.ok(ev[0].type === 'message' && ev[0].data.equals(a));
    assert.is(f.pendingBytes, 0);
  }
  const over = new SipStreamFramer(1024).push(bigOptions(2000));
  assert.is(over[0].type === 'error' && over[0].code, 'SIP_OVERSIZE');
});

async function withServer(opts: Record<string, unknown>, fn: (s: SiprecServer, port: number) => Promise<void>) {
  const s = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: 36200, rtpPortMax: 36239, ...opts },
    { onCallStart: () => ({ reject: { status: 480, reason: 'x' } }), onCallEnd() {} },
  );
  await s.start();
  try {
    await fn(s, s.address().port);
  } finally {
    await s.close();
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => resolve(c));
    c.on('error', reject);
  });
}

function closed(c: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (c.destroyed || c.readableEnded) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    c.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function optionsAnswered(port: number, id: string): Promise<boolean> {
  const peer = await SipTestPeer.tcp(port);
  try {
    peer.send(
      inDialogRequest('OPTIONS', {
        callId: id,
        local: peer.local,
        target: `127.0.0.1:${port}`,
        transport: 'TCP',
        toTag: '',
      }),
      port,
    );
    await peer.waitForResponse(200, 'OPTIONS', 3000);
    return true;
  } catch {
    return false;
  } finally {
    peer.close();
  }
}

test('streams: connections per source are capped (closed at accept, counted); those held keep working', async () => {
  await withServer({ maxConnectionsPerSource: 3 }, async (s, port) => {
    const held = await Promise.all([1, 2].map(() => connect(port)));
    const extra = await Promise.all([1, 2, 3].map(() => connect(port)));
    const verdicts = await Promise.all(extra.map((c) => closed(c, 1000)));
    assert.is(verdicts.filter(Boolean).length, 2, 'the 4th and 5th connections were closed');
    assert.is(s.stats().counters['sip.connectionLimit'], 2);
    for (const c of [...held, ...extra]) c.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(await optionsAnswered(port, 'after-cap'), 'a new connection works once others closed');
  });
});

const streamsAPeerThatTitle =
  'streams: a peer that never finishes a message (slowloris trickle) is cut after tcpMessageTimeoutMs and counted';
test(streamsAPeerThatTitle, async () => {
  await withServer({ tcpMessageTimeoutMs: 300 }, async (s, port) => {
    const c = await connect(port);
    const msg = bigOptions(2000);
    let i = 0;
    const trickle = setInterval(() => c.writable && c.write(msg.subarray(i, (i += 10))), 50);
    const wasClosed = await closed(c, 3000);
    clearInterval(trickle);
    assert.ok(wasClosed);
    assert.is(s.stats().counters['sip.slowMessage'], 1);
    assert.ok(await optionsAnswered(port, 'after-slow'));
  });
});

test('streams: effective connection cap is a quarter of the open-file limit, at least 16', () => {
  assert.is(effectiveMaxConnections(512, 1024), 256);
  assert.is(effectiveMaxConnections(512, 65_536), 512);
  assert.is(effectiveMaxConnections(512, 20), 16);
  assert.is(effectiveMaxConnections(100, Infinity), 100);
});

const streamsOutOfFileTitle =
  'streams: out of file descriptors (ulimit -n 128, 300 connections), the engine stays up, counts it, serves what ' +
  'it holds and recovers';
test(streamsOutOfFileTitle, async () => {
  const child = spawn(
    'prlimit',
    ['--nofile=128', process.execPath, fileURLToPath(new URL('./fixtures/fd-limit-child.js', import.meta.url))],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const ask = <T>(msg: object | null): Promise<T> =>
    new Promise((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      if (msg) child.send(msg);
    });
  try {
    const { port } = await ask<{ port: number }>(null);
    const first = await SipTestPeer.tcp(port);
    const flood: net.Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      flood.push(c);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const { counters } = await ask<{ counters: Record<string, number> }>({ cmd: 'stats' });
    // At most a quarter of the 128 descriptors go to connections (32): the rest are refused at accept and counted,
    // not dropped silently by libuv with the descriptor table full.
    assert.ok(counters['sip.connectionLimit'] >= 300 - 32, `refused and counted: ${counters['sip.connectionLimit']}`);
    // The connection it held before still works.
    first.send(
      inDialogRequest('OPTIONS', {
        callId: 'held',
        local: first.local,
        target: `127.0.0.1:${port}`,
        transport: 'TCP',
        toTag: '',
      }),
      port,
    );
    await first.waitForResponse(200, 'OPTIONS', 3000);
    first.close();
    for (const c of flood) c.destroy();
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(await optionsAnswered(port, 'recovered'), 'new connections are served again once descriptors are free');
    assert.is(child.exitCode, null, 'the engine process is still running');
  } finally {
    child.kill();
  }
});

test.run();
