// The `code` of every error the library raises, as one union type: callers switch on it without importing the
// classes. Derived from the public error classes (public-errors.ts); types only, nothing here runs.

import type * as PublicErrors from './public-errors.ts';

type ErrorName = Exclude<keyof typeof PublicErrors, 'GeckoCollectorError'>;
type InstanceOf<C> = C extends abstract new (...args: never) => infer I ? I : never;

export type GeckoCollectorErrorCode =
  InstanceOf<(typeof PublicErrors)[ErrorName]> extends infer E
    ? E extends { readonly code: infer C }
      ? C
      : never
    : never;
