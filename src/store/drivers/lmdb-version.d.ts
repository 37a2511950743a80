// lmdb-js exports `version` (the native engine's) at run time, but its typings omit it.
import 'lmdb';

declare module 'lmdb' {
  export const version: { major: number; minor: number; patch: number; versionString: string };
}
