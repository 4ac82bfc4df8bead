import { describe, expect, test } from 'vitest';
import { checkLocalPrerequisites } from './prerequisites.js';

describe('local build prerequisites', () => {
  test('not root is a clear error that says what to do', async () => {
    await expect(checkLocalPrerequisites('x86_64', { getuid: () => 1000 })).rejects.toMatchObject({
      code: 'PREREQUISITE_MISSING',
      message: expect.stringContaining('local builds need root'),
      hint: expect.stringContaining('sudo'),
    });
  });
});
