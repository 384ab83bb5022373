import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { createAlertService } from './alert-service.js';
import { decodePdu, encodePdu, PduFramer, Status, type Pdu } from './codec.js';
import { SmppError } from './errors.js';
import { SmppSession } from './session.js';
import { startSmscSimulator } from './smsc-simulator.js';
import { HANG_GUARD_MS, tempDir, testServiceOptions, until } from './test-harness.js';

/** A scripted raw SMSC: `onPdu` decides what to write back. */
async function rawPeer(
  onPdu: (pdu: Pdu, sock: net.Socket) => void,
): Promise<{ port: number; received: Pdu[]; close(): Promise<void> }> {
  const received: Pdu[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const f = new PduFramer();
    sock.on('data', (c: Buffer) => {
      f.push(c);
      for (let b = f.next(); b && !(b instanceof Error); b = f.next()) {
        const d = decodePdu(b);
        if (d.ok) {
          received.push(d.pdu);
          onPdu(d.pdu, sock);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const bindOk = (pdu: Pdu, sock: net.Socket) => {
  if (pdu.command === 'bind_transceiver')
    sock.write(encodePdu('bind_transceiver_resp', { sequence_number: pdu.sequence_number, system_id: 'raw' }));
};

function session(port: number, extra: Partial<ConstructorParameters<typeof SmppSession>[0]> = {}) {
  return new SmppSession({
    host: '127.0.0.1',
    port,
    systemId: 'cg',
    password: 'pw',
    window: 10,
    responseTimeoutMs: 2_000,
    enquireLinkIntervalMs: 60_000,
    deadLinkMs: 60_000,
    ...extra,
  });
}

function closed(s: SmppSession): Promise<SmppError | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('session did not close')), HANG_GUARD_MS);
    s.once('close', (e?: SmppError) => {
      clearTimeout(t);
      resolve(e);
    });
  });
}

test('a silent SMSC is declared dead (enquire_link unanswered / no traffic)', async () => {
  const peer = await rawPeer(bindOk); // answers the bind, then nothing
  const s = session(peer.port, { enquireLinkIntervalMs: 30, responseTimeoutMs: 100, deadLinkMs: 400 });
  try {
    await s.open();
    const err = await closed(s);
    assert.is(err?.code, 'CG_SMPP_DEAD_LINK');
    assert.ok(peer.received.some((p) => p.command === 'enquire_link'));
  } finally {
    s.destroy();
    await peer.close();
  }
});

test('broken framing from the SMSC kills the session with CG_SMPP_PARSE (no stalled parser)', async () => {
  const peer = await rawPeer((pdu, sock) => {
    bindOk(pdu, sock);
    if (pdu.command === 'bind_transceiver') sock.write(Buffer.from([0, 0, 0, 2, 1, 2, 3, 4]));
  });
  const s = session(peer.port);
  try {
    const done = closed(s);
    await s.open().catch(() => undefined);
    const err = await done;
    assert.is(err?.code, 'CG_SMPP_PARSE');
  } finally {
    s.destroy();
    await peer.close();
  }
});

test('malformed and unknown requests from the SMSC are nacked and the session stays up', async () => {
  let sockRef: net.Socket | undefined;
  const peer = await rawPeer((pdu, sock) => {
    sockRef = sock;
    bindOk(pdu, sock);
    if (pdu.command === 'submit_sm')
      sock.write(encodePdu('submit_sm_resp', { sequence_number: pdu.sequence_number, message_id: 'X1' }));
  });
  const s = session(peer.port);
  try {
    await s.open();
    const nacks: number[] = [];
    const f = new PduFramer();
    sockRef!.on('data', (c: Buffer) => {
      f.push(c);
      for (let b = f.next(); b && !(b instanceof Error); b = f.next())
        if (b.readUInt32BE(4) === 0x80000000) nacks.push(b.readUInt32BE(8));
    });
    // deliver_sm, garbage body
    const bad = Buffer.from([0, 0, 0, 20, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff]);
    const unknown = Buffer.from([0, 0, 0, 16, 0, 0, 0x09, 0x99, 0, 0, 0, 0, 0, 0, 0, 8]);
    sockRef!.write(Buffer.concat([bad, unknown]));
    await until(() => nacks.length === 2, 'two generic_nacks');
    assert.equal(nacks.sort(), [Status.RINVCMDID, Status.RINVCMDLEN].sort());
    const resp = await s.submit({ destination_addr: '4477', short_message: Buffer.from('x'), data_coding: 0 });
    assert.is(resp.message_id, 'X1');
    assert.is(s.state, 'bound');
    assert.is(s.counters.malformed, 2);
  } finally {
    s.destroy();
    await peer.close();
  }
});

test('bind refused: CG_SMPP_BIND_FAILED with the command_status', async () => {
  const sim = await startSmscSimulator({ systemId: 'cg', password: 'right' });
  const s = session(sim.port, { password: 'wrong' });
  try {
    await s.open();
    assert.unreachable('bind should fail');
  } catch (e) {
    assert.instance(e, SmppError);
    assert.is((e as SmppError).code, 'CG_SMPP_BIND_FAILED');
    assert.is((e as SmppError).commandStatus, Status.RBINDFAIL);
  } finally {
    s.destroy();
    await sim.close();
  }
});

test('window and responses on a bare session; destroy rejects outstanding requests', async () => {
  const peer = await rawPeer(bindOk); // never answers submits
  const s = session(peer.port, { window: 2 });
  try {
    await s.open();
    const p1 = s.submit({ destination_addr: '1', short_message: Buffer.from('a') });
    const p2 = s.submit({ destination_addr: '2', short_message: Buffer.from('b') });
    assert.not.ok(s.canSubmit);
    await s.submit({ destination_addr: '3', short_message: Buffer.from('c') }).then(
      () => assert.unreachable(),
      (e: SmppError) => assert.is(e.code, 'CG_SMPP_WINDOW_FULL'),
    );
    s.destroy();
    for (const p of [p1, p2])
      await p.then(
        () => assert.unreachable(),
        (e: SmppError) => assert.is(e.code, 'CG_SMPP_DISCONNECTED'),
      );
    assert.is(s.inFlight, 0);
  } finally {
    s.destroy();
    await peer.close();
  }
});

const failOverWithTheTitle =
  'fail-over: with the first SMSC down, alerts go through the second; with both up, round-robin uses both';
test(failOverWithTheTitle, async () => {
  const a = await startSmscSimulator();
  const b = await startSmscSimulator();
  const dir = tempDir();
  a.setDown(true);
  const svc = createAlertService({
    ...testServiceOptions(a, dir),
    smsc: `smpp://cg:pw@127.0.0.1:${a.port},smpp://cg:pw@127.0.0.1:${b.port}`,
  });
  try {
    await svc.start();
    await svc.ready();
    for (let i = 0; i < 6; i++) await svc.enqueue({ alertId: `f${i}`, to: '447700900777', text: `f${i}` });
    await until(() => svc.status().counters.delivered === 6, 'delivered via b');
    assert.is(a.received.length, 0);
    assert.is(b.received.length, 6);
    a.setDown(false);
    await until(() => svc.status().binds.every((x) => x.state === 'bound'), 'both bound');
    for (let i = 0; i < 20; i++) await svc.enqueue({ alertId: `g${i}`, to: '447700900777', text: `g${i}` });
    await until(() => svc.status().counters.delivered === 26, 'all delivered');
    assert.ok(a.received.length > 0);
    assert.ok(b.received.length > 6);
  } finally {
    await svc.close();
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
