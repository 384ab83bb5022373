/**
 * Test fixture for the crash-restart test (not part of the API): queues alerts through a real service in a
 * child process, prints "QUEUED <n>" once every enqueue has resolved, then idles until killed.
 * argv: <smsc port> <data dir> <count> <prefix>
 */
import { createAlertService } from './alert-service.js';

const [port, dataDir, count, prefix] = process.argv.slice(2);
const svc = createAlertService({
  smsc: `smpp://callguard:secret@127.0.0.1:${port}`,
  dataDir,
  sender: 'ACME',
  tps: 0,
  reconnect: { baseMs: 20, maxMs: 100 },
  limits: { perHour: 100_000 },
});
await svc.start();
for (let i = 0; i < Number(count); i++) {
  const r = await svc.enqueue({ alertId: `${prefix}${i}`, to: '447700900555', text: `${prefix}${i}` });
  if (!r.accepted) throw new Error(`enqueue refused: ${r.reason}`);
}
process.stdout.write(`QUEUED ${count}\n`);
setInterval(() => {}, 1 << 30);
