// Worker-thread entry for TypeScript modules (Node 20 cannot strip types): registers tsx's loader in this
// thread, then imports the real entry named after `--gecko-ts-entry` in argv and re-exports its default
// (piscina calls a module's default export).
import { register } from 'tsx/esm/api';

const at = process.argv.indexOf('--gecko-ts-entry');
if (at < 0 || !process.argv[at + 1]) throw new Error('tsx-bootstrap: missing --gecko-ts-entry <file URL> in argv');
register();
const mod = await import(process.argv[at + 1]);
export default mod.default;
