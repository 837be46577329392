import { describe, expect, it } from 'vitest';
import { firstLink, hostOf, isEmojiOnly, markMentions, matchMentionable, mentionQuery, segments, stillMentioned } from './text';

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

describe('mentions', () => {
  it('marks @names, the longest first, and leaves links and other @s alone', () => {
    const parts = markMentions(segments('hi @Ann Lee and @Ann, see https://x.io/@Ann or @bob'), ['Ann', 'Ann Lee']);
    expect(parts.filter((p) => p.mention).map((p) => p.text)).toEqual(['@Ann Lee', '@Ann']);
    expect(parts.map((p) => p.text).join('')).toBe('hi @Ann Lee and @Ann, see https://x.io/@Ann or @bob');
    expect(markMentions(segments('@小明 你好'), ['小明'])[0]).toEqual({ text: '@小明', mention: true });
  });

  it('finds the @query being typed before the caret', () => {
    expect(mentionQuery('hello @an', 9)).toEqual({ start: 6, query: 'an' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail a@b', 8)).toBeNull();
    expect(mentionQuery('@ann lee', 8)).toBeNull();
  });

  it('matches names, usernames and remarks in any case and script, prefixes first', () => {
    const people = [
      { id: 1, name: 'Bob', aliases: ['bobby'] },
      { id: 2, name: '小明', aliases: ['xiaoming'] },
      { id: 3, name: 'Rob', aliases: ['rob'] },
    ];
    expect(matchMentionable(people, 'ob').map((p) => p.id)).toEqual([1, 3]);
    expect(matchMentionable(people, 'BO').map((p) => p.id)).toEqual([1]);
    expect(matchMentionable(people, '明').map((p) => p.id)).toEqual([2]);
    expect(matchMentionable(people, 'xiao').map((p) => p.id)).toEqual([2]);
  });

  it('keeps only the picked people still named in the text', () => {
    const picked = [{ id: 1, name: 'Bob' }, { id: 2, name: 'Ann' }, { id: 1, name: 'Bob' }];
    expect(stillMentioned('thanks @Bob!', picked)).toEqual([1]);
  });
});


describe('links for a preview', () => {
  it('finds the first link written with http or https, as written', () => {
    expect(firstLink('see example.com and https://Example.com/a?b=1 then http://x.test')).toBe('https://Example.com/a?b=1');
    expect(firstLink('mail me@example.com or ftp://x.test')).toBeNull();
    expect(firstLink('链接：https://例子.测试/路径 好')).toBe('https://例子.测试/路径');
  });
  it('names the host without www', () => {
    expect(hostOf('https://www.example.com/a')).toBe('example.com');
    expect(hostOf('not a link')).toBe('');
  });
});
