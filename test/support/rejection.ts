// The error a promise rejects with, for tests that look at several of its fields; fails the test if it resolves.
import assert from 'node:assert/strict';

export async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}
