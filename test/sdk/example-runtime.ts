/**
 * Runs examples/miniprogram the way the mini program runtime would, enough to drive its
 * page from a test: each file a CommonJS module in one vm context whose globals are
 * `wx`, timers and the framework's `App`, `Page` and `getApp`; `setData` merges
 * into `data`. The SDK comes from the build (the example's lib/ copy is not committed),
 * and config.js points at the server under test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { REPO_ROOT } from '../support/processes.js';
import { BUILT_SDK, builtSdkSource, runtimeGlobals } from './load-sdk.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/miniprogram');

export interface ExamplePage {
  data: Record<string, unknown>;
  onLoad(): Promise<void>;
  saveNote(): Promise<void>;
  refresh(): Promise<void>;
  tap(): Promise<void>;
  onDraft(event: { detail: { value: string } }): void;
}

export function loadExamplePage(wx: object, config: { baseUrl: string; devUser: string }): ExamplePage {
  let app: object | undefined;
  let pageDefinition: Record<string, unknown> | undefined;
  const context = vm.createContext({
    ...runtimeGlobals(wx),
    App: (definition: object) => {
      app = definition;
    },
    getApp: () => app,
    Page: (definition: Record<string, unknown>) => {
      pageDefinition = definition;
    },
  });
  const cache = new Map<string, unknown>();
  const load = (file: string): unknown => {
    if (file === path.join(EXAMPLE, 'config.js')) return config;
    const cached = cache.get(file);
    if (cached) return cached;
    const module = { exports: {} };
    cache.set(file, module.exports);
    const source = file === path.join(EXAMPLE, 'lib/miniscale-wx.js') ? builtSdkSource() : readFileSync(file, 'utf8');
    const wrapped = vm.runInContext(`(function (module, exports, require) {${source}\n})`, context, {
      filename: file === BUILT_SDK ? BUILT_SDK : file,
    });
    wrapped(module, module.exports, (spec: string) => load(path.resolve(path.dirname(file), spec)));
    cache.set(file, module.exports);
    return module.exports;
  };
  load(path.join(EXAMPLE, 'app.js'));
  load(path.join(EXAMPLE, 'pages/index/index.js'));
  if (!pageDefinition) throw new Error('pages/index/index.js did not call Page()');
  const page = { ...pageDefinition, data: structuredClone(pageDefinition.data) } as unknown as ExamplePage & {
    setData(patch: object): void;
  };
  page.setData = function setData(patch) {
    Object.assign(this.data, patch);
  };
  return page;
}
