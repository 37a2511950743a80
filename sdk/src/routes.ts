/** Route types by the server's schemas (api-types.ts, generated), and URL building. */
import type { ApiRoutes } from './api-types.js';

export type RouteResponse<R extends keyof ApiRoutes> = ApiRoutes[R]['response'];
export type RouteBody<R extends keyof ApiRoutes> = ApiRoutes[R]['body'];

/**
 * The answer of a route this server version may not have yet: the schema's type once
 * api-types.ts has the route, else the shape the API contract promises.
 */
export type ResponseOrContract<R extends string, Contract> = R extends keyof ApiRoutes ? ApiRoutes[R]['response'] : Contract;

/** A key, counter or board name as one path segment. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
