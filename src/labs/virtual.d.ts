/** The labs, validated and parsed at build time by src/labs/vitePlugin.ts. */
declare module 'virtual:labs' {
  export const labs: Array<import('./types.ts').Lab>;
}
declare module 'virtual:labs/summaries' {
  export const labSummaries: Array<import('./types.ts').LabSummary>;
  export const labLoaders: Record<string, () => Promise<{ default: import('./types.ts').Lab }>>;
}
declare module 'virtual:labs/loaders' {
  export const labLoaders: Record<string, () => Promise<{ default: import('./types.ts').Lab }>>;
}
