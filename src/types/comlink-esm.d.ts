// comlink ships ESM builds without .d.mts files; these map them onto its published types.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpointLike {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    // biome-ignore lint/suspicious/noExplicitAny: mirrors comlink's own NodeEndpoint
    on(type: string, listener: (...args: any[]) => void): unknown;
    // biome-ignore lint/suspicious/noExplicitAny: mirrors comlink's own NodeEndpoint
    off(type: string, listener: (...args: any[]) => void): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpointLike): Endpoint;
}
