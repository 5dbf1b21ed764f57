/**
 * `<device-flow-lab>`: the lab as a custom element, for teams' internal docs.
 *
 *   <script type="module" src="device-flow-lab.js"></script>   (with its folder device-flow-lab/ beside it)
 *   <device-flow-lab lab="06-credentials-file" mode="compact" theme="auto" org="Globex" cli="gx" idp="Globex SSO"></device-flow-lab>
 *
 * Attributes: `lab` (a lab id; none for the sandbox), `mode` (full | compact), `theme` (light | dark | auto),
 * `org`, `cli`, `idp` (the team's names). They may change at any time. Events (bubbling, on the element):
 * `ready`, `objective-completed`, `lab-completed`, each with the message of src/embed/messages.ts as `detail`.
 * Method: `reset()`.
 *
 * Everything lives in an open shadow root with its own stylesheet, so the lab's styles stay inside and the
 * host's stay outside. Progress is kept in the host page's localStorage (the app's key), or for the visit when
 * storage is unavailable.
 */
import { mount, unmount } from 'svelte';
import { ProgressStore } from '../ui/progress.ts';
import './element.css';
import Embed from './Embed.svelte';
import type { EmbedMessage } from './messages.ts';
import { parseEmbedAttributes } from './contract/options.ts';
import { embedProps, type EmbedProps } from './state.svelte.ts';

export const ELEMENT_NAME = 'device-flow-lab';
/** Replaced with the bundle's CSS by the build (src/embed/embedBuilds.ts). */
const CSS = '__DFL_EMBED_CSS__';

let sheet: CSSStyleSheet | undefined;
function stylesheet(): CSSStyleSheet {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

export class DeviceFlowLabElement extends HTMLElement {
  static readonly observedAttributes = ['lab', 'mode', 'theme', 'org', 'cli', 'idp'];

  #app: Record<string, unknown> | undefined;
  #props: EmbedProps | undefined;

  connectedCallback(): void {
    if (this.#app) return;
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [stylesheet()];
    const progress = new ProgressStore(() => window.localStorage);
    this.#props = embedProps(this.#parse(), progress, (message) => this.#dispatch(message));
    this.#app = mount(Embed, { target: root, props: this.#props });
  }

  disconnectedCallback(): void {
    if (!this.#app) return;
    void unmount(this.#app);
    this.#app = undefined;
    this.#props = undefined;
    this.shadowRoot?.replaceChildren();
  }

  attributeChangedCallback(): void {
    if (!this.#props) return;
    const parsed = this.#parse();
    this.#props.options = parsed.options;
    this.#props.notices = parsed.notices;
  }

  /** Start the lab (or the sandbox) over. */
  reset(): void {
    if (this.#props) this.#props.generation++;
  }

  #parse() {
    return parseEmbedAttributes((name) => this.getAttribute(name));
  }

  #dispatch(message: EmbedMessage): void {
    this.dispatchEvent(new CustomEvent(message.type, { detail: message, bubbles: true, composed: true }));
  }
}

if (!customElements.get(ELEMENT_NAME)) customElements.define(ELEMENT_NAME, DeviceFlowLabElement);

declare global {
  interface HTMLElementTagNameMap {
    'device-flow-lab': DeviceFlowLabElement;
  }
}
