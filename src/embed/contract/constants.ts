/** The embeds' files, at the root of the build output (src/embed/embedBuilds.ts makes them). */
export const ELEMENT_FILE_NAME = 'device-flow-lab.js';
export const EMBED_PAGE_NAME = 'embed.html';
export const EMBED_SCRIPT_NAME = 'embed.js';
