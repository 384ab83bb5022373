import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlertService } from './alert-service.js';
import { startSmscSimulator } from './smsc-simulator.js';
import { tempDir, testServiceOptions, waitEvent } from './test-harness.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../smpp/test-tls/${name}`, import.meta.url)));

test('ssmpp:// binds over TLS, verifies the certificate, and delivers', async () => {
  const cert = fixture('localhost-cert.pem');
  const sim = await startSmscSimulator({ tls: { key: fixture('localhost-key.pem'), cert } });
  const dir = tempDir();
  const svc = createAlertService({
    ...testServiceOptions(sim, dir),
    smsc: `ssmpp://cg:pw@127.0.0.1:${sim.port}`,
    tls: { ca: cert },
  });
  try {
    await svc.start();
    await svc.ready();
    await svc.enqueue({ alertId: 'tls1', to: '447700900100', text: 'over tls' });
    await waitEvent(svc, (e) => e.type === 'delivered' && e.alertId === 'tls1');
    assert.is(sim.received[0].text, 'over tls');
  } finally {
    await svc.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ssmpp:// refuses an SMSC whose certificate it cannot verify', async () => {
  const sim = await startSmscSimulator({
    tls: { key: fixture('localhost-key.pem'), cert: fixture('localhost-cert.pem') },
  });
  const dir = tempDir();
  const svc = createAlertService({ ...testServiceOptions(sim, dir), smsc: `ssmpp://cg:pw@127.0.0.1:${sim.port}` });
  try {
    await svc.start();
    const lost = await waitEvent(svc, (e) => e.type === 'bind' && e.state === 'down');
    assert.match(String((lost as { error?: string }).error ?? svc.status().binds[0].lastError), /certificate/i);
    assert.is(sim.stats.binds, 0);
  } finally {
    await svc.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
