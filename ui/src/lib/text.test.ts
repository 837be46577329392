import { describe, expect, it } from 'vitest';
import { segments } from './text';

describe('message text', () => {
  it('splits links from plain text', () => {
    expect(segments('see https://example.com/a?b=1 now')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: ' now' },
    ]);
  });

  it('keeps markup as plain text', () => {
    expect(segments('<b>bold</b> & <script>x</script>')).toEqual([{ text: '<b>bold</b> & <script>x</script>' }]);
  });

  it('does not make links of other schemes', () => {
    expect(segments('javascript:alert(1)').every((s) => !s.href)).toBe(true);
  });
});
