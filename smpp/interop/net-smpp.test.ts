/**
 * Interop against an independent SMPP implementation: Perl Net::SMPP acting as the SMSC
 * (interop/net-smpp-smsc.pl). CI installs libnet-smpp-perl; without it this test FAILS on purpose.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlertService, type AlertServiceEvent } from '../alert-service.js';
import { encodeGsm7 } from '../gsm7.js';
import { decodeUcs2 } from '../message-parts.js';
import { HANG_GUARD_MS, tempDir, until, waitEvent } from '../test-harness.js';

// The .pl lives in the source tree; dist/smpp/interop -> smpp/interop.
const SCRIPT = fileURLToPath(new URL('../../../smpp/interop/net-smpp-smsc.pl', import.meta.url));

interface PerlEvent {
  event: string;
  [k: string]: unknown;
}

function startPerlSmsc(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  events: PerlEvent[];
  port: Promise<number>;
  stderr: () => string;
} {
  const child = spawn('perl', [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: PerlEvent[] = [];
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`perl SMSC did not start: ${err}`)), HANG_GUARD_MS);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`perl SMSC exited (${code}): ${err}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let e: PerlEvent;
      try {
        e = JSON.parse(line) as PerlEvent;
      } catch {
        return;
      }
      events.push(e);
      if (e.event === 'listening') {
        clearTimeout(t);
        resolve(Number(e.port));
      }
    });
  });
  return { child, events, port, stderr: () => err };
}

test('Net::SMPP is installed (CI installs libnet-smpp-perl)', () => {
  const r = spawnSync('perl', ['-MNet::SMPP', '-MJSON::PP', '-e1']);
  assert.is(
    r.status,
    0,
    'Perl Net::SMPP is missing: apt-get install -y libnet-smpp-perl (the interop test cannot run without it)',
  );
});

const interopWithANetTitle =
  'interop with a Net::SMPP SMSC: bind, GSM-7 and UCS-2 two-part alerts, receipts, its enquire_link, its disconnect';
test(interopWithANetTitle, async () => {
  const perl = startPerlSmsc(['--system-id', 'cgesme', '--password', 'pw1', '--disconnect-after', '3']);
  const dir = tempDir();
  const port = await perl.port;
  const svc = createAlertService({
    smsc: `smpp://cgesme:pw1@127.0.0.1:${port}`,
    dataDir: dir,
    sender: 'ACME',
    systemType: 'CGUARD',
    tps: 0,
    enquireLinkIntervalMs: 200,
    reconnect: { baseMs: 20, maxMs: 200 },
    limits: { perHour: 100 },
  });
  const events: AlertServiceEvent[] = [];
  svc.on('event', (e: AlertServiceEvent) => events.push(e));
  const perlEvents = (name: string) => perl.events.filter((e) => e.event === name);
  try {
    await svc.start();
    await svc.ready();

    const gsmText = 'ACME WARNING: this call may be a scam. Hang up. Price €5 [test]';
    assert.ok((await svc.enqueue({ alertId: 'gsm', to: '+447700900123', text: gsmText })).accepted);
    await waitEvent(svc, (e) => e.type === 'delivered' && e.alertId === 'gsm', 'gsm delivered');

    const ucsText =
      'Внимание: этот звонок может быть мошенничеством. Положите трубку и не сообщайте коды. 😀 Позвоните в банк.';
    assert.ok(ucsText.length > 70 && ucsText.length <= 134);
    assert.ok((await svc.enqueue({ alertId: 'ucs2', to: '+447700900123', text: ucsText })).accepted);
    await waitEvent(svc, (e) => e.type === 'delivered' && e.alertId === 'ucs2', 'ucs2 delivered');

    // The peer drops the link after the 3rd submit; we must rebind and carry on.
    await until(() => perlEvents('bind').length >= 2, 'second bind after the peer disconnect');
    assert.ok((await svc.enqueue({ alertId: 'after', to: '+447700900123', text: 'after reconnect' })).accepted);
    await waitEvent(svc, (e) => e.type === 'delivered' && e.alertId === 'after', 'post-reconnect delivered');
    await until(() => perlEvents('enquire_link').length >= 1, 'our enquire_link seen by the peer');

    const bind = perlEvents('bind')[0];
    assert.is(bind.system_id, 'cgesme');
    assert.is(bind.system_type, 'CGUARD');
    assert.is(bind.interface_version, 0x34);
    assert.is(bind.password_ok, true);

    const subs = perlEvents('submit_sm');
    assert.is(subs.length, 4);
    const [g, u1, u2, after] = subs;
    assert.is(g.data_coding, 0);
    assert.is(g.esm_class, 0);
    assert.is(g.source_addr, 'ACME');
    assert.is(g.source_addr_ton, 5);
    assert.is(g.destination_addr, '447700900123');
    assert.is(g.dest_addr_ton, 1);
    assert.is(g.validity_period, '000000003000000R');
    assert.is(g.short_message_hex, encodeGsm7(gsmText).toString('hex'));
    for (const u of [u1, u2]) {
      assert.is(u.data_coding, 8);
      assert.is(Number(u.esm_class) & 0x40, 0x40);
    }
    const b1 = Buffer.from(String(u1.short_message_hex), 'hex');
    const b2 = Buffer.from(String(u2.short_message_hex), 'hex');
    assert.equal([...b1.subarray(0, 3)], [5, 0, 3]);
    assert.is(b1[3], b2[3]); // same reference
    assert.equal([b1[4], b1[5], b2[4], b2[5]], [2, 1, 2, 2]);
    assert.is(decodeUcs2(b1.subarray(6)) + decodeUcs2(b2.subarray(6)), ucsText);
    assert.is(Buffer.from(String(after.short_message_hex), 'hex').toString('latin1'), 'after reconnect');

    // We answered the peer's own enquire_link on each bind, and acked its receipts.
    const elr = perlEvents('enquire_link_resp');
    assert.ok(elr.length >= 2);
    for (const e of elr) assert.is(e.status, 0);
    // Receipts on a stable link are acked (gsm and after; those racing the scripted drop may not be).
    await until(() => perlEvents('deliver_sm_resp').length >= 2, 'receipt acks');
    for (const a of perlEvents('deliver_sm_resp')) assert.is(a.status, 0);
    assert.is(svc.status().counters.unmatchedReceipts, 0);

    await svc.close();
    await until(() => perlEvents('unbind').length === 1, 'unbind at close');
  } finally {
    await svc.close();
    const exited = new Promise((r) => perl.child.once('exit', r));
    perl.child.stdin.end();
    const t = setTimeout(() => perl.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
