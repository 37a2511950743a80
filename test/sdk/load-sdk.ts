/**
 * The built SDK (sdk/dist/miniscale-wx.js) as the mini program runtime loads it: in a
 * `vm` context of its own whose only globals are the ones given (the runtime's `wx`
 * and timers) besides the ES builtins, wrapped as a CommonJS module. It is
 * built first when missing (CI builds it with the root `npm run build`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { REPO_ROOT } from '../support/processes.js';

export type Sdk = typeof import('../../sdk/src/miniscale-wx.js');

export const BUILT_SDK = path.join(REPO_ROOT, 'sdk/dist/miniscale-wx.js');

export function builtSdkSource(): string {
  if (!existsSync(BUILT_SDK)) execFileSync('npm', ['run', 'build', '--silent', '-w', 'miniscale-wx'], { cwd: REPO_ROOT, stdio: 'inherit' });
  return readFileSync(BUILT_SDK, 'utf8');
}

export function loadSdk(globals: Record<string, unknown>): Sdk {
  const context = vm.createContext({ ...globals });
  const module = { exports: {} };
  const wrapped = vm.runInContext(`(function (module, exports) {${builtSdkSource()}\n})`, context, { filename: BUILT_SDK }) as (
    m: object,
    e: object,
  ) => void;
  wrapped(module, module.exports);
  return module.exports as Sdk;
}

/** The mini program runtime's globals the SDK may use: `wx` and the timers (retries wait on them). */
export function runtimeGlobals(wx: object): Record<string, unknown> {
  return { wx, setTimeout, clearTimeout };
}
