/** Route types by the server's schemas (api-types.ts, generated), and URL building. */
import type { ApiRoutes } from './api-types.js';

export type RouteResponse<R extends keyof ApiRoutes> = ApiRoutes[R]['response'];
export type RouteBody<R extends keyof ApiRoutes> = ApiRoutes[R]['body'];

/** A key, counter or board name as one path segment. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
