/**
 * Waits for `work` at most `ms` (its failure counts as done): a shutdown step that
 * overruns must not eat the other steps' time. The timer is cleared as soon as the
 * work ends, since a pending one would keep the process alive after everything stopped.
 */
export async function withinMs(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
