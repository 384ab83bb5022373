import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CloserStack } from './lifecycle.js';

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

test.run();
