import * as assert from 'uvu/assert';

/** Assert every element of `actual` is within atol + rtol·|expected| of `expected`; names the first offender. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): number {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const allowed = atol + rtol * Math.abs(expected[i]);
    if (!(err <= allowed))
      assert.unreachable(
        `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|err| ${err.toExponential(2)} ` +
          `> ${allowed.toExponential(2)})`,
      );
    worst = Math.max(worst, err / Math.max(allowed, 1e-300));
  }
  return worst;
}
