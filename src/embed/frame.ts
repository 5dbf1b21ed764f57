/**
 * `embed.html`: the lab in an iframe, for pages that prefer one (or want it fully isolated, sandboxed).
 *
 *   <iframe src="embed.html#lab=06-credentials-file&mode=compact&origins=https://docs.example.com"
 *           title="Device Flow Lab" sandbox="allow-scripts"></iframe>
 *
 * The hash carries the element's options plus `origins`: the embedding pages allowed to send commands.
 * Events go to the parent with postMessage: to the parent's origin when it is listed, to nobody when origins
 * are listed and the parent is not among them, and to any parent when none are listed (the messages hold no
 * secrets: see messages.ts). Commands are accepted only from the parent window and a listed origin.
 */
import { mount } from 'svelte';
import { ProgressStore } from '../ui/progress.ts';
import Embed from './Embed.svelte';
import { parseIncoming, type EmbedMessage } from './messages.ts';
import { normaliseOrigin, parseEmbedHash, type EmbedTheme } from './contract/options.ts';
import { embedProps } from './state.svelte.ts';

/** The embedding page's origin, as far as the browser tells: undefined when unknown or opaque. */
function parentOrigin(): string | undefined {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) return normaliseOrigin(ancestors[0] ?? '');
  try {
    return document.referrer ? normaliseOrigin(new URL(document.referrer).origin) : undefined;
  } catch {
    return undefined;
  }
}

function post(message: EmbedMessage): void {
  if (window.parent === window) return;
  const listed = props.options.origins;
  if (listed.length === 0) {
    window.parent.postMessage(message, '*');
    return;
  }
  const parent = parentOrigin();
  if (parent && listed.includes(parent)) window.parent.postMessage(message, parent);
}

/**
 * Replaced with the page's CSS by the build (src/embed/embedBuilds.ts). In development Vite injects the CSS
 * itself and the placeholder, not being CSS, adopts as an empty sheet. No condition around it: a bundler could
 * fold one away together with the placeholder.
 */
const CSS = '__DFL_EMBED_CSS__';
const sheet = new CSSStyleSheet();
sheet.replaceSync(CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

function applyTheme(theme: EmbedTheme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

const target = document.getElementById('app');
if (!target) throw new Error('Device Flow Lab: #app element missing from embed.html');

// Storage throws in an iframe sandboxed without allow-same-origin: progress then lasts for the visit.
const progress = new ProgressStore(() => window.localStorage);
const parsed = parseEmbedHash(location.hash);
const props = embedProps(parsed, progress, post);
applyTheme(parsed.options.theme);
mount(Embed, { target, props });

window.addEventListener('hashchange', () => {
  const next = parseEmbedHash(location.hash);
  props.options = next.options;
  props.notices = next.notices;
  applyTheme(next.options.theme);
});

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== window.parent || window.parent === window) return;
  const result = parseIncoming(event.data, event.origin, props.options.origins);
  if (!result.ok) return;
  const command = result.command;
  if (command.type === 'reset') props.generation++;
  else {
    props.options = { ...props.options, theme: command.theme };
    applyTheme(command.theme);
  }
});
