import { describe, expect, it } from 'vitest';
import type { AppCode, AppError } from './bindings';
import { errorSentence } from './errors';

describe('error sentences', () => {
  const error = (code: AppCode): AppError => ({ code, message: 'in English', fingerprint: null, address: null });

  it('says the server’s limits in words, not as a generic failure', () => {
    expect(errorSentence(error('not_an_image'))).toContain('not a picture');
    expect(errorSentence(error('too_many_connections'))).toContain('too many devices');
    expect(errorSentence(error('request_timeout'))).toContain('too slow');
  });

  it('falls back to the English message for a code it does not know', () => {
    // A thrown value that only looks like an AppError.
    expect(errorSentence(error('something_new' as AppCode))).toBe('Something went wrong: in English');
  });
});
