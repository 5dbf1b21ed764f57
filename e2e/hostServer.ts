/**
 * A stand-in for a team's docs site, for the embed tests: another origin than the app (its own port), with a
 * strict Content-Security-Policy of its own, that
 *
 *   /host/element.html?<attributes>[&hostile=1]   a page with `<device-flow-lab>` (attributes from the query)
 *   /host/iframe.html?src=<url>[&sandbox=<tokens>][&hostile=1]   a page with an iframe of the embed
 *   /host/hostile.css                              a stylesheet that tries hard to break what it embeds
 *   /host/host.js                                  records the lab's events in `window.hostEvents`
 *   /base/deep/path/<file>                         the app's build output under a deep base path
 *
 * Run by playwright.config.ts as a web server: `node --import tsx e2e/hostServer.ts --port N --dist DIR`.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const BASE_PATH = '/base/deep/path/';
const ELEMENT_ATTRIBUTES = ['lab', 'mode', 'theme', 'org', 'cli', 'idp'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.json': 'application/json',
};

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Like a careful docs site: nothing inline, scripts and styles from itself, frames from itself and the app. */
function hostCsp(appOrigin: string): string {
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    `frame-src 'self' ${appOrigin}`, "base-uri 'none'", "form-action 'none'",
  ].join('; ');
}

function page(title: string, body: string, hostile: boolean): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/host/base.css">${hostile ? '\n<link rel="stylesheet" href="/host/hostile.css">' : ''}
<script type="module" src="/host/host.js"></script></head>
<body><header><h1>${escapeHtml(title)}</h1></header><main>
${body}
</main></body></html>`;
}

/** Plain docs-site styles. */
const BASE_CSS = `body { margin: 0 auto; max-width: 1100px; padding: 16px; font-family: serif; }`;

/**
 * What docs themes and careless resets do: a tiny root font size, `!important` fonts and colours on
 * everything (the custom element itself included), layout rules on every div and section, unset buttons.
 */
const HOSTILE_CSS = `
html { font-size: 6px !important; }
* { font-family: "Comic Sans MS", fantasy !important; color: #ff00ff !important; line-height: 0.6 !important;
    letter-spacing: 4px !important; text-transform: uppercase !important; box-sizing: content-box !important;
    font-size: 30px !important; text-align: right !important; visibility: visible; }
div, section, article, main { display: inline !important; padding: 40px !important; margin: 40px !important; }
button, input, select { all: unset !important; }
pre, code { white-space: normal !important; }
:root { --bg: #ff00ff; --text: #00ff00; --surface: #ffff00; --gap: 10rem; --dfl-rem: 2px; }
`;

/** Records the lab's events (DOM events from the element, messages from the iframe) for the test to read. */
const HOST_JS = `
window.hostEvents = [];
for (const type of ['ready', 'objective-completed', 'lab-completed']) {
  document.addEventListener(type, (event) => window.hostEvents.push({ via: 'dom', detail: event.detail }));
}
window.addEventListener('message', (event) => {
  const frame = document.querySelector('iframe');
  if (!frame || event.source !== frame.contentWindow) return;
  window.hostEvents.push({ via: 'message', origin: event.origin, data: event.data });
});
`;

export function startHostServer(opts: { port: number; dist: string; appOrigin: string }) {
  const dist = resolve(opts.dist);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    try {
      const q = url.searchParams;
      const hostile = q.get('hostile') === '1';
      const csp = { 'content-security-policy': hostCsp(opts.appOrigin) };
      switch (url.pathname) {
        case '/host/element.html': {
          const attrs = ELEMENT_ATTRIBUTES.filter((a) => q.has(a)).map((a) => ` ${a}="${escapeHtml(q.get(a)!)}"`).join('');
          const body = `<p>Team docs before the lab.</p>
<script type="module" src="${BASE_PATH}device-flow-lab.js"></script>
<device-flow-lab${attrs}></device-flow-lab>
<p>Team docs after the lab.</p>`;
          return send(200, TYPES['.html']!, page('Team docs: element', body, hostile), csp);
        }
        case '/host/iframe.html': {
          const src = q.get('src') ?? '';
          const sandbox = q.has('sandbox') ? ` sandbox="${escapeHtml(q.get('sandbox')!)}"` : '';
          const body = `<iframe src="${escapeHtml(src)}" title="Device Flow Lab" width="1200" height="1400"${sandbox}></iframe>`;
          return send(200, TYPES['.html']!, page('Team docs: iframe', body, hostile), csp);
        }
        case '/host/base.css': return send(200, TYPES['.css']!, BASE_CSS);
        case '/host/hostile.css': return send(200, TYPES['.css']!, HOSTILE_CSS);
        case '/host/host.js': return send(200, TYPES['.js']!, HOST_JS);
      }
      if (url.pathname.startsWith(BASE_PATH)) {
        const rel = normalize(decodeURIComponent(url.pathname.slice(BASE_PATH.length)) || 'index.html');
        const file = join(dist, rel);
        if (!file.startsWith(dist)) return send(403, 'text/plain', 'forbidden');
        return send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
      }
      return send(404, 'text/plain', 'not found');
    } catch {
      return send(404, 'text/plain', 'not found');
    }
  });
  return new Promise<typeof server>((ok) => server.listen(opts.port, '127.0.0.1', () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, dist: { type: 'string' }, app: { type: 'string' } } });
  const port = Number(values.port);
  await startHostServer({ port, dist: values.dist ?? 'dist', appOrigin: values.app ?? 'http://127.0.0.1:4173' });
  console.log(`host server on http://127.0.0.1:${port}`);
}
