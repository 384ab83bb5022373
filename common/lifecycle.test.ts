import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CloserStack, Lifecycle } from './lifecycle.js';

test('closer stack: newest first, each once, a failing closer does not stop the others', async () => {
  const s = new CloserStack();
  const ran: string[] = [];
  s.push('a', () => ran.push('a'));
  s.push('b', async () => {
    ran.push('b');
    throw new Error('b broke');
  });
  s.push('c', async () => ran.push('c'));
  const errors: string[] = [];
  await s.unwind((name, err) => errors.push(`${name}: ${(err as Error).message}`));
  assert.equal(ran, ['c', 'b', 'a']);
  assert.equal(errors, ['b: b broke']);
  assert.is(s.size, 0);
  await s.unwind(() => assert.unreachable());
  assert.equal(ran, ['c', 'b', 'a'], 'a second unwind runs nothing');
});

test('lifecycle: close runs the teardown once, every call shares its promise, closing then closed', async () => {
  const life = new Lifecycle();
  assert.is(life.state, 'idle');
  life.state = 'running';
  let runs = 0;
  let release: () => void = () => undefined;
  const teardown = (): Promise<void> => {
    runs++;
    return new Promise<void>((r) => (release = () => r()));
  };
  const first = life.close(teardown);
  assert.is(life.state, 'closing', 'closing as soon as close() is called');
  const second = life.close(teardown);
  assert.is(second, first, 'a second close() gets the same promise');
  assert.is(runs, 1);
  release();
  await first;
  assert.is(life.state, 'closed');
  assert.is(life.close(teardown), first, 'a close() after the end still gets the same promise');
  assert.is(runs, 1);
});

test('lifecycle: a teardown that throws still ends closed, and every close() sees the failure', async () => {
  const life = new Lifecycle();
  const p = life.close(async () => {
    throw new Error('teardown broke');
  });
  await p.then(
    () => assert.unreachable('should reject'),
    (err: Error) => assert.is(err.message, 'teardown broke'),
  );
  assert.is(life.state, 'closed');
  assert.is(
    life.close(async () => assert.unreachable()),
    p,
  );
});

test.run();
