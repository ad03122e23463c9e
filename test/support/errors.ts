import { expect } from "vitest";
import { exitCodeForError } from "../../src/engine/exit-codes.js";

/**
 * Asserts that a command (a handler call) fails as bad usage or configuration
 * does: the stable `code`, a message matching `message` when given, a hint
 * saying what to do, and exit code 2. Returns the error for further checks.
 */
export async function expectUsageFailure(call: Promise<unknown>, expected: { code: string; message?: RegExp | string }): Promise<Error & { code: string; hint?: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the command should have failed").toBeDefined();
  expect(err).toMatchObject({ code: expected.code });
  if (expected.message !== undefined) expect((err as Error).message).toMatch(expected.message);
  expect((err as { hint?: string }).hint).toBeTruthy();
  expect(exitCodeForError(err)).toBe(2);
  return err as Error & { code: string; hint?: string };
}
