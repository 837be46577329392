import { describe, expect, it } from 'vitest';
import { isEmojiOnly, segments } from './text';

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

describe('emoji-only text', () => {
  it('is shown larger only when it is just a few emoji', () => {
    expect(isEmojiOnly('👋')).toBe(true);
    expect(isEmojiOnly('👍🏽 🎉')).toBe(true);
    expect(isEmojiOnly('hi 👋')).toBe(false);
    expect(isEmojiOnly('123')).toBe(false);
  });
});
