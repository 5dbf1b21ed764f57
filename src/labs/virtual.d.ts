/** The labs, validated and parsed at build time by src/labs/vitePlugin.ts. */
declare module 'virtual:labs' {
  export const labs: Array<import('./types.ts').Lab>;
}
