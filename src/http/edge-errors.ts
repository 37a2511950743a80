/**
 * Refusals at the client's edge. Each also closes the connection: the rest of such a
 * request is either unreadable (a body whose length cannot be known) or not worth
 * reading, and the gateway answers the same requests the same way. The node's error
 * handler reads `closesConnection`.
 */
export function closesConnection(err: unknown): boolean {
  return (err as { closesConnection?: unknown } | null)?.closesConnection === true;
}
