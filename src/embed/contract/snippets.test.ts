import { describe, expect, it } from 'vitest';
import { parseEmbedHash } from './options.ts';
import { elementSnippet, escapeAttribute, iframeSnippet } from './snippets.ts';

const BASE = 'https://docs.example.com/lab/';

describe('docs snippets', () => {
  it('escapeAttribute keeps a team name intact inside a double-quoted attribute', () => {
    expect(escapeAttribute(`A "quoted" <b>&co</b>`)).toBe('A &quot;quoted&quot; &lt;b&gt;&amp;co&lt;/b&gt;');
  });

  it('the element snippet lists only the non-default options, escaped, and loads the element from the base', () => {
    const snippet = elementSnippet({ lab: '06-credentials-file', mode: 'compact', theme: 'auto', names: { org: 'Globex "R&D"', cli: 'gx' } }, BASE);
    expect(snippet).toContain(`<script type="module" src="${BASE}device-flow-lab.js"></script>`);
    expect(snippet).toContain('<device-flow-lab lab="06-credentials-file" mode="compact" org="Globex &quot;R&amp;D&quot;" cli="gx"></device-flow-lab>');
    expect(snippet).not.toContain('theme=');
    for (const event of ['ready', 'objective-completed', 'lab-completed']) expect(snippet).toContain(`'${event}'`);
  });

  it('the iframe snippet is sandboxed and its hash parses back to the same options', () => {
    const options = { lab: '01-anatomy', mode: 'full' as const, theme: 'dark' as const, names: { idp: 'Globex SSO' }, origins: ['https://docs.example.com'] };
    const snippet = iframeSnippet(options, BASE);
    expect(snippet).toContain('sandbox="allow-scripts"');
    const src = /src="([^"]+)"/.exec(snippet)![1]!.replace(/&amp;/g, '&');
    expect(src.startsWith(`${BASE}embed.html#`)).toBe(true);
    expect(parseEmbedHash(new URL(src).hash)).toEqual({ options, notices: [] });
  });
});
