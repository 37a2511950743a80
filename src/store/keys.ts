/**
 * Key naming for callers of the store. All of one user's keys share the Redis Cluster
 * hash tag `{u:OPENID}`, so every operation on one user's data lands on one shard and
 * a script may touch several of them (Redis Cluster only lets a script use one slot).
 */
export function userKey(openid: string, kind: string, name: string): string {
  return `{u:${openid}}:${kind}:${name}`;
}

/** App-wide data: one key per name, spread over the cluster by the name itself. */
export function appKey(kind: string, name: string): string {
  return `app:${kind}:${name}`;
}
