import net from 'node:net';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlertService, type AlertServiceEvent } from './alert-service.js';
import { startSmscSimulator } from './smsc-simulator.js';
import { tempDir, testServiceOptions, until } from './test-harness.js';

/**
 * A hostile SMSC, written here byte by byte (no SMPP library, none of our codec): it accepts the bind, then on each
 * connection does one bad thing. The alert service must keep running and keep every alert queued, answer what can be
 * answered, count each fault, and once a sane SMSC (the bundled simulator) takes the port, deliver each alert once.
 */
const BIND_TRANSCEIVER = 0x00000009;
const SUBMIT_SM = 0x00000004;

function pdu(commandId: number, seq: number, body: Buffer = Buffer.alloc(0), status = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(16 + body.length, 0);
  h.writeUInt32BE(commandId >>> 0, 4);
  h.writeUInt32BE(status, 8);
  h.writeUInt32BE(seq, 12);
  return Buffer.concat([h, body]);
}

const cstr = (s: string) => Buffer.from(s + '\0', 'latin1');

/** A delivery receipt for a message id nobody sent. */
function strayReceipt(seq: number, id: string): Buffer {
  const text = Buffer.from(
    `id:${id} sub:001 dlvrd:001 submit date:2612062300 done date:2612062300 stat:DELIVRD err:000 text:x`,
    'latin1',
  );
  const body = Buffer.concat([
    cstr(''),
    Buffer.from([1, 1]),
    cstr('447700900001'),
    Buffer.from([5, 0]),
    cstr('ACME'),
    Buffer.from([0x04, 0, 0]),
    cstr(''),
    cstr(''),
    Buffer.from([0, 0, 0, 0, text.length]),
    text,
  ]);
  return pdu(0x00000005, seq, body);
}

type Behaviour = (sock: net.Socket, seen: { submits: number; deliverResps: number }) => void;

const BEHAVIOURS: Array<{ name: string; run: Behaviour }> = [
  {
    name: 'an unknown command, then receipts for unknown ids, then command_length 0',
    run: (s, seen) => {
      const before = seen.deliverResps;
      s.write(pdu(0x0badf00d, 900));
      for (let i = 0; i < 5; i++) s.write(strayReceipt(1000 + i, `unknown-${i}`));
      // Once the receipts are answered (they wait for the submits pending on this SMSC, bounded): a zero length.
      const check = setInterval(() => {
        if (seen.deliverResps - before < 5 && !s.destroyed) return;
        clearInterval(check);
        s.write(Buffer.from([0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]));
      }, 20);
    },
  },
  {
    name: 'command_length 2^31',
    run: (s) => s.write(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1])),
  },
  {
    name: 'a deliver_sm flood (2,000 receipts for unknown ids)',
    run: (s, seen) => {
      const before = seen.deliverResps;
      const all = Buffer.concat(Array.from({ length: 2000 }, (_, i) => strayReceipt(5000 + i, `flood-${i}`)));
      s.write(all);
      // Hang up once every receipt of the flood has been answered.
      const check = setInterval(() => {
        if (seen.deliverResps - before < 2000 && !s.destroyed) return;
        clearInterval(check);
        s.destroy();
      }, 20);
    },
  },
  {
    name: 'submit_sm never answered, then the link closed mid-PDU',
    run: (s) => setTimeout(() => s.end(Buffer.from([0, 0, 0, 40, 0, 0, 0, 5])), 1200),
  },
];

const aHostileSmscGarbageTitle =
  'a hostile SMSC: garbage, bad lengths, a deliver_sm flood, no answers, a close mid-PDU; every alert is kept and ' +
  'delivered once by the sane SMSC that follows';
test(aHostileSmscGarbageTitle, async () => {
  const dir = tempDir();
  let conn = 0;
  const seen = { submits: 0, deliverResps: 0 };
  const sockets = new Set<net.Socket>();
  const hostile = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    const behaviour = BEHAVIOURS[Math.min(conn++, BEHAVIOURS.length - 1)];
    let buf = Buffer.alloc(0);
    let bound = false;
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16) {
        const len = buf.readUInt32BE(0);
        if (buf.length < len) break;
        const id = buf.readUInt32BE(4);
        const seq = buf.readUInt32BE(12);
        buf = buf.subarray(len);
        if (id === BIND_TRANSCEIVER && !bound) {
          bound = true;
          s.write(pdu(0x80000009, seq, cstr('hostile')));
          behaviour.run(s, seen);
        } else if (id === SUBMIT_SM)
          seen.submits++; // never answered
        else if (id === 0x80000005) seen.deliverResps++;
        // enquire_link and the rest: never answered either
      }
    });
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', () => r()));
  const port = (hostile.address() as net.AddressInfo).port;
  const events: AlertServiceEvent[] = [];
  const svc = createAlertService(
    testServiceOptions({ port }, dir, { responseTimeoutMs: 400, retry: { baseMs: 50, maxMs: 200, maxAttempts: 50 } }),
  );
  svc.on('event', (e: AlertServiceEvent) => events.push(e));
  await svc.start();
  let sim: Awaited<ReturnType<typeof startSmscSimulator>> | null = null;
  try {
    const ids = ['h1', 'h2', 'h3'];
    for (const id of ids)
      assert.equal(await svc.enqueue({ alertId: id, to: `+44770090000${ids.indexOf(id) + 1}`, text: `alert ${id}` }), {
        accepted: true,
      });
    await until(() => conn >= BEHAVIOURS.length && seen.submits > 0, 'every hostile behaviour tried');
    await until(() => seen.deliverResps >= 2005, 'every stray receipt answered');
    const during = svc.status();
    assert.is(during.state, 'running');
    for (const id of ids)
      assert.ok(['queued', 'submitted'].includes(svc.getAlert(id)!.state), `${id} kept: ${svc.getAlert(id)!.state}`);

    // The sane SMSC takes the port.
    hostile.close();
    for (const s of sockets) s.destroy();
    sim = await startSmscSimulator({ port, systemId: 'callguard', password: 'secret' });
    await until(() => ids.every((id) => svc.getAlert(id)?.state === 'delivered'), 'all delivered by the sane SMSC');
    for (const id of ids) {
      const copies = sim.received.filter((r) => r.text.includes(`alert ${id}`)).length;
      assert.is(copies, 1, `${id} delivered once by the sane SMSC`);
    }
    const st = svc.status();
    const b = st.binds[0].counters;
    assert.ok(b.badRequests >= 1, 'the unknown command was nacked and counted');
    assert.ok(b.framingLost >= 2, 'command_length 0 and 2^31 dropped the link, counted');
    assert.ok(b.disconnects >= 2, `lost links counted: ${b.disconnects}`);
    assert.ok(b.delivers >= 2005);
    assert.ok(st.counters.unmatchedReceipts >= 2005, 'stray receipts counted');
    assert.ok(st.counters.timeouts + st.counters.requeuedOnDisconnect >= 1, 'unanswered submits counted');
    assert.is(events.filter((e) => e.type === 'failed').length, 0);
  } finally {
    await svc.close();
    await sim?.close();
    hostile.close();
    for (const s of sockets) s.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
