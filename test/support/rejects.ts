import * as assert from 'uvu/assert';

/** Asserts that `fn` rejects and that `check` accepts the error (uvu 0.5 has no assert.rejects). */
export async function rejects(
  fn: () => Promise<unknown>,
  check: (err: any) => boolean,
  message?: string,
): Promise<void> {
  let err: unknown = undefined;
  let threw = false;
  try {
    await fn();
  } catch (e) {
    err = e;
    threw = true;
  }
  assert.ok(threw, message ?? 'expected a rejection');
  assert.ok(
    check(err),
    `${message ?? 'rejection'}: unexpected error ${String((err as Error)?.message ?? err)} ` +
      `(code ${(err as { code?: string })?.code})`,
  );
}
