// A vitest setup file: runs the cleanups support modules registered with atFileEnd (test/support/file-end.ts)
// once the test file is done.
import { afterAll } from 'vitest';
import { runFileEnd } from './file-end.ts';

afterAll(runFileEnd);
