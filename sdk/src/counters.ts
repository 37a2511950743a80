/** App-wide counters, atomic across all nodes. */
import type { Caller } from './caller.js';
import { segment, type RouteBody, type RouteResponse } from './routes.js';

type CounterAnswer = RouteResponse<'GET /v1/counters/{name}'>;

export interface Counters {
  /** Adds `by` (default 1) and resolves with the new value. Not retried once it may have reached the server. */
  incr(name: string, by?: number): Promise<number>;
  /** The value; 0 when never touched. */
  get(name: string): Promise<number>;
}

export function counters(caller: Caller): Counters {
  const path = (name: string) => `/v1/counters/${segment(name)}`;
  return {
    async incr(name, by = 1) {
      const body: RouteBody<'POST /v1/counters/{name}'> = { by };
      return (await caller.call<RouteResponse<'POST /v1/counters/{name}'>>({ method: 'POST', path: path(name), data: body })).data.value;
    },
    async get(name) {
      return (await caller.call<CounterAnswer>({ method: 'GET', path: path(name) })).data.value;
    },
  };
}
