/** The embeds' files, at the root of the build output (src/embed/embedBuilds.ts makes them). */
export const ELEMENT_FILE_NAME = 'device-flow-lab.js';
/** The folder beside it with the files the element loads as it needs them: each lab, the engine. */
export const ELEMENT_CHUNK_DIR = 'device-flow-lab';
export const EMBED_PAGE_NAME = 'embed.html';
export const EMBED_SCRIPT_NAME = 'embed.js';
/** The folder beside it with the classic scripts embed.js loads as it needs them (src/embed/classicChunks.ts). */
export const EMBED_CHUNK_DIR = 'embed';
