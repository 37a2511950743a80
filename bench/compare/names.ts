/**
 * The comparison's systems and scenarios, by name: a leaf module (it imports nothing),
 * so the report's arithmetic can be loaded — and unit-tested — without the code that
 * starts processes.
 */

export const SYSTEMS = ['miniscale', 'miniscale-gateway', 'miniscale-redis', 'seed-php', 'seed-php-keepalive', 'node-naive'] as const;
export type SystemName = (typeof SYSTEMS)[number];
/**
 * Miniscale's systems: `miniscale up` one hop (the default) on the embedded store; `up
 * --gateway` (the in-process gateway in front of node child processes), embedded; one
 * hop on the peers' redis-server. In the slow-node scenario `miniscale-gateway` is
 * `miniscale gateway` over three `miniscale node`s (the third behind a delay proxy).
 */
export const MINISCALE: readonly SystemName[] = ['miniscale', 'miniscale-gateway', 'miniscale-redis'];

export const SCENARIOS = ['read', 'write', 'mixed', 'counter', 'leaderboard', 'slow-node', 'kill-node'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** What a load run sends: the slow-node and kill-node scenarios send reads. */
export type Workload = 'read' | 'write' | 'mixed' | 'counter' | 'leaderboard';

/** How `miniscale up` serves: node workers sharing the port, or the gateway in front of node processes. */
export type Topology = 'one-hop' | 'gateway';
