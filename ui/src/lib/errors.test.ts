import { describe, expect, it } from 'vitest';
import { errorSentence } from './errors';

describe('error sentences', () => {
  const error = (code: string) => ({ code, message: 'in English', fingerprint: null, address: null });

  it('says the server’s limits in words, not as a generic failure', () => {
    expect(errorSentence(error('not_an_image'))).toContain('not a picture');
    expect(errorSentence(error('too_many_connections'))).toContain('too many devices');
    expect(errorSentence(error('request_timeout'))).toContain('too slow');
  });

  it('falls back to the English message for a code it does not know', () => {
    expect(errorSentence(error('something_new'))).toBe('Something went wrong: in English');
  });
});
