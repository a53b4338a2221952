// Types of bin/ts-entry.mjs (plain JS so the CLI launcher can run it before any TypeScript).
export declare function bundleTypeScript(entry: URL | string): string;
export declare function importTypeScript(entry: URL | string): Promise<Record<string, unknown>>;
