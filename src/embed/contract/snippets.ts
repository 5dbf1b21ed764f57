/**
 * The copy-paste snippets of the docs page (#/embed), from the options a team picked. Pure functions, so the
 * escaping is tested: a team's name may hold `"`, `<` or `&`, and the snippet must still be the HTML they meant.
 */
import { DEFAULT_MODE, DEFAULT_THEME, embedHash, type EmbedOptions } from './options.ts';
import { ELEMENT_FILE_NAME } from './constants.ts';

/** Text as an HTML attribute value (inside double quotes). */
export function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<device-flow-lab ...>` plus the script tag that defines it, loaded from `base` (a folder URL ending in `/`). */
export function elementSnippet(options: Partial<EmbedOptions>, base: string): string {
  const attributes: Array<[string, string]> = [];
  if (options.lab) attributes.push(['lab', options.lab]);
  if (options.mode && options.mode !== DEFAULT_MODE) attributes.push(['mode', options.mode]);
  if (options.theme && options.theme !== DEFAULT_THEME) attributes.push(['theme', options.theme]);
  for (const key of ['org', 'cli', 'idp'] as const) {
    const value = options.names?.[key];
    if (value) attributes.push([key, value]);
  }
  const attrs = attributes.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('');
  return [
    `<script type="module" src="${escapeAttribute(`${base}${ELEMENT_FILE_NAME}`)}"></script>`,
    `<device-flow-lab${attrs}></device-flow-lab>`,
    `<script type="module">`,
    `  const lab = document.querySelector('device-flow-lab');`,
    `  lab.addEventListener('ready', (event) => console.log('lab ready', event.detail));`,
    `  lab.addEventListener('objective-completed', (event) => console.log(event.detail.objective, event.detail.done, '/', event.detail.total));`,
    `  lab.addEventListener('lab-completed', (event) => console.log('completed', event.detail.lab));`,
    `</script>`,
  ].join('\n');
}

/** The iframe (sandboxed: scripts only, no same-origin access) and the listener for its messages. */
export function iframeSnippet(options: Partial<EmbedOptions>, base: string): string {
  const src = `${base}embed.html${embedHash(options)}`;
  return [
    `<iframe id="device-flow-lab" src="${escapeAttribute(src)}" title="Device Flow Lab"`,
    `        sandbox="allow-scripts" width="100%" height="900"></iframe>`,
    `<script type="module">`,
    `  const frame = document.getElementById('device-flow-lab');`,
    `  window.addEventListener('message', (event) => {`,
    `    if (event.source !== frame.contentWindow) return; // only this iframe`,
    `    const message = event.data;`,
    `    if (message?.source !== 'device-flow-lab' || message.version !== 1) return;`,
    `    console.log(message.type, message);`,
    `  });`,
    `  // Commands are accepted only from the origins listed in the hash (origins=...).`,
    `  // A sandboxed iframe has an opaque origin, hence '*'.`,
    `  const reset = () => frame.contentWindow.postMessage({ source: 'device-flow-lab', version: 1, type: 'reset' }, '*');`,
    `</script>`,
  ].join('\n');
}
