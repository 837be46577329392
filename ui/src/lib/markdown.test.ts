import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

describe('the assistant’s Markdown', () => {
  it('renders headings, lists, tables and emphasis', () => {
    const html = renderMarkdown('# Title\n\n- **one**\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |', 'Copy');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<li><strong>one</strong></li>');
    expect(html).toContain('<td>2</td>');
  });

  it('never renders raw HTML or script links', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)> <b>bold</b>\n\n[x](javascript:alert(1))', 'Copy');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;img');
    expect(html).not.toContain('href="javascript:');
  });

  it('highlights code blocks and gives each a copy button', () => {
    const html = renderMarkdown('```rust\nfn main() {}\n```', '复制');
    expect(html).toContain('<span class="hljs-keyword">fn</span>');
    expect(html).toContain('data-copy>复制</button>');
    expect(html).toContain('<span>rust</span>');
    // An unknown language is shown as plain, escaped code.
    expect(renderMarkdown('```nope\n<a>\n```', 'Copy')).toContain('&lt;a&gt;');
  });

  it('links bare addresses', () => {
    expect(renderMarkdown('see https://example.org/x', 'Copy')).toContain('href="https://example.org/x"');
  });
});
