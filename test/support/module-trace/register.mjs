// Preload for tests (`--import`): registers the module-trace resolve hook.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
