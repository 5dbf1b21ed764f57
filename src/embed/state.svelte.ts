/**
 * The props of a mounted embed, as one reactive object: the element's attribute callbacks and the iframe's
 * commands change them in place, and the embed updates without being mounted again.
 */
import type { ProgressStore } from '../ui/progress.ts';
import type { EmbedMessage } from './messages.ts';
import type { EmbedOptions, ParsedEmbedOptions } from './contract/options.ts';

export interface EmbedProps {
  options: EmbedOptions;
  notices: readonly string[];
  progress: ProgressStore;
  emit: (message: EmbedMessage) => void;
  generation: number;
}

export function embedProps(parsed: ParsedEmbedOptions, progress: ProgressStore, emit: (message: EmbedMessage) => void): EmbedProps {
  const props = $state<EmbedProps>({ options: parsed.options, notices: parsed.notices, progress, emit, generation: 0 });
  return props;
}
