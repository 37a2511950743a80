/** Messages between run.ts and its worker processes (over the child_process IPC channel). */
import type { CellResult, LoadOptions, OpName } from './workload.js';

export type ToWorker = ({ type: 'run'; op: OpName } & LoadOptions) | { type: 'exit' };

export type FromWorker = { type: 'ready' } | { type: 'result'; op: OpName; result: CellResult } | { type: 'error'; message: string };
