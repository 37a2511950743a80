/**
 * Everything the benchmark starts registers how to stop it here. Cleanups run newest
 * first (workers before the servers they talk to, the temp dir last), once, at the end
 * of a normal run, on an error, and on Ctrl-C / SIGTERM. Processes are stopped by the
 * PID we started, never by name.
 */
const cleanups: Array<() => Promise<void> | void> = [];
let running: Promise<void> | null = null;

/** Registers a cleanup; the returned function runs it now and unregisters it. */
export function onCleanup(fn: () => Promise<void> | void): () => Promise<void> {
  cleanups.push(fn);
  return async () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        console.error(`cleanup failed: ${String(err)}`);
      }
    }
  })();
  return running;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping everything the benchmark started…`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
