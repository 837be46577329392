// The assistant's replies as Markdown (markdown-it, its raw HTML off): what
// people write stays plain text (RichText); only the assistant's Markdown is
// rendered. Code blocks are highlighted (highlight.js, a set of common
// languages) and carry a copy button; links open through the shell.
import MarkdownIt from 'markdown-it';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

for (const [name, lang] of Object.entries({
  bash, c, cpp, css, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml,
})) {
  hljs.registerLanguage(name, lang);
}

const md = new MarkdownIt({
  // Never: raw HTML in a reply is shown as text.
  html: false,
  linkify: true,
  breaks: true,
  highlight(code, lang) {
    const language = lang && hljs.getLanguage(lang) ? lang : null;
    if (!language) return '';
    try {
      return hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } catch {
      return '';
    }
  },
});

// A code block: its language and a copy button above it.
const fence = md.renderer.rules.fence!;
md.renderer.rules.fence = (tokens, idx, options, env, self) => {
  const lang = md.utils.escapeHtml(tokens[idx].info.trim().split(/\s+/)[0] ?? '');
  const copy = md.utils.escapeHtml((env as { copy?: string }).copy ?? 'Copy');
  return `<div class="code"><div class="code-bar"><span>${lang}</span><button type="button" class="copy" data-copy>${copy}</button></div>${fence(tokens, idx, options, env, self)}</div>`;
};

/** `text` as HTML; `copy` labels the code blocks' copy buttons. */
export function renderMarkdown(text: string, copy: string): string {
  return md.render(text, { copy });
}
