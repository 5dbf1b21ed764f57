import { describe, expect, it } from 'vitest';
import { builtEmbedPage, remToElementUnits } from './embedBuilds.ts';

describe('remToElementUnits: the element sizes against its own base, not the host page root', () => {
  it('rewrites rem lengths in declarations, including decimals and negatives', () => {
    expect(remToElementUnits('.a{padding:1rem .5rem;margin:-0.25rem}')).toBe(
      '.a{padding:calc(1 * var(--dfl-rem)) calc(.5 * var(--dfl-rem));margin:calc(-0.25 * var(--dfl-rem))}');
  });
  it('leaves @media and @container preludes alone (no custom properties there) but rewrites inside them', () => {
    expect(remToElementUnits('@container (max-width: 56rem){.b{gap:2rem}}@media (min-width:3rem){.c{top:1rem}}')).toBe(
      '@container (max-width: 56rem){.b{gap:calc(2 * var(--dfl-rem))}}@media (min-width:3rem){.c{top:calc(1 * var(--dfl-rem))}}');
  });
  it('does not touch other units or words that contain rem', () => {
    const css = '.remark{width:10em;height:3px;font:1.2em/1.5 serif}.x{--premium:1}';
    expect(remToElementUnits(css)).toBe(css);
  });
});

describe('builtEmbedPage: the iframe page of the build', () => {
  const source = `<!doctype html>
<html lang="en">
  <head>
    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
  </head>
  <body>
    <main id="app"></main>
    <script type="module" src="/src/embed/frame.ts"></script>
  </body>
</html>`;
  it('carries the CSP, a relative icon and the classic script (no module script: sandboxed iframes load it without CORS)', () => {
    const page = builtEmbedPage(source, "default-src 'none'; script-src 'self'");
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'" />`);
    expect(page).toContain('<script src="./embed.js" defer></script>');
    expect(page).toContain('href="./favicon.svg"');
    expect(page).not.toContain('type="module"');
    expect(page).not.toMatch(/unsafe-(inline|eval)/);
  });
  it('preloads the files the script requires before it runs, as classic scripts (no CORS request)', () => {
    const page = builtEmbedPage(source, "script-src 'self'", ['embed/storage-1.js', 'embed/a"b.js']);
    expect(page).toContain('<link rel="preload" as="script" href="./embed/storage-1.js" />');
    expect(page).toContain('href="./embed/a&quot;b.js"');
    expect(page).not.toContain('crossorigin');
    expect(page.indexOf('embed.js')).toBeLessThan(page.indexOf('storage-1.js'));
  });
  it('escapes the policy into the attribute and fails loudly when the source changed shape', () => {
    expect(builtEmbedPage(source, 'a"b&c')).toContain('content="a&quot;b&amp;c"');
    expect(() => builtEmbedPage('<html></html>', 'x')).toThrow(/embed\.html/);
  });
});
