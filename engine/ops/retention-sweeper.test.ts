import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietLog } from '../../test/support/engine-fixtures.js';
import { RetentionSweeper } from './retention-sweeper.js';

/** The sweeper's lifecycle (common/lifecycle.ts), with a task that counts its purges. */
test('start() sweeps once and is idempotent; close() during the first sweep leaves no interval behind', async () => {
  let purges = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const sweeper = new RetentionSweeper(
    [
      {
        kind: 'things',
        purge: async () => {
          purges++;
          await gate;
          return 2;
        },
      },
    ],
    10,
    quietLog,
  );
  assert.is(sweeper.state, 'idle');
  const started = [sweeper.start(), sweeper.start()];
  assert.is(sweeper.state, 'starting');
  const closed = sweeper.close();
  release();
  await Promise.all([...started, closed, sweeper.close()]);
  assert.equal([sweeper.state, purges, sweeper.purged.things], ['closed', 1, 2]);
  await new Promise((r) => setTimeout(r, 40));
  assert.is(purges, 1, 'no sweep after close');
  await sweeper.start();
  assert.is(sweeper.state, 'closed');
});

test('a running sweeper sweeps every interval until closed', async () => {
  let purges = 0;
  const sweeper = new RetentionSweeper([{ kind: 'things', purge: () => (purges++, 0) }], 5, quietLog);
  await sweeper.start();
  assert.is(sweeper.state, 'running');
  const deadline = Date.now() + 2000;
  while (purges < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await sweeper.close();
  assert.ok(purges >= 3);
  assert.is(sweeper.state, 'closed');
});

test.run();
