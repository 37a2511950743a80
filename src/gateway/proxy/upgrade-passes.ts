/**
 * A WebSocket upgrade goes through its own passes (as node-http-proxy has `ws-incoming`
 * beside `web-incoming`), built from the same rules as a plain request's: the request
 * id, the edge refusals, the client address, the upstream headers and the hash key are
 * each decided in one place and used by both lists. What differs is the refusal: an
 * upgrade has no ServerResponse, so it is written straight to the socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiErrorCode } from '../../core/error-response.js';
import { isAdminPath } from '../../http/admin-access.js';
import type { GatewayRuntime } from '../runtime.js';
import { edgeRefusal } from './edge.js';
import { resolveClient, type ClientAddress } from './forwarded.js';
import { buildUpstreamHeaders, hashKeyOf, requestIdOf } from './passes.js';
import { writeRawError } from './respond.js';

export interface UpgradeContext {
  readonly req: IncomingMessage;
  readonly socket: Socket;
  id: string;
  client: ClientAddress;
  /** The upstream request's header lines, Connection/Upgrade included. */
  upstreamHeaders: string[];
  hashKey: string | undefined;
}

export interface UpgradePass {
  readonly name: string;
  run(ctx: UpgradeContext, gw: GatewayRuntime): boolean;
}

function refuse(ctx: UpgradeContext, code: ApiErrorCode, message: string): false {
  writeRawError(ctx.socket, code, message, ctx.id);
  return false;
}

export const upgradeRequestId: UpgradePass = {
  name: 'requestId',
  run(ctx) {
    ctx.id = requestIdOf(ctx.req);
    return true;
  },
};

export const upgradeEdge: UpgradePass = {
  name: 'edge',
  run(ctx, gw) {
    const refused = edgeRefusal(ctx.req, gw.options.limits);
    if (!refused) return true;
    gw.metrics.clientErrors.inc({ reason: refused.reason });
    return refuse(ctx, refused.code, refused.message);
  },
};

/** Only an origin-form path outside the admin prefix is passed on: the admin pages have no WebSocket. */
export const upgradeTarget: UpgradePass = {
  name: 'target',
  run(ctx) {
    const url = ctx.req.url ?? '';
    if (url.startsWith('/') && !isAdminPath(url)) return true;
    return refuse(ctx, 'NOT_FOUND', 'nothing to upgrade here');
  },
};

export const websocketOnly: UpgradePass = {
  name: 'websocketOnly',
  run(ctx) {
    if (ctx.req.headers.upgrade?.toLowerCase() === 'websocket') return true;
    return refuse(ctx, 'VALIDATION_FAILED', 'only Upgrade: websocket is supported');
  },
};

export const upgradeClientAddress: UpgradePass = {
  name: 'clientAddress',
  run(ctx, gw) {
    ctx.client = resolveClient(ctx.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], gw.trusted);
    return true;
  },
};

/** The plain request's headers, plus the upgrade pair that hop-by-hop stripping removed. */
export const upgradeHeaders: UpgradePass = {
  name: 'upstreamHeaders',
  run(ctx) {
    ctx.upstreamHeaders = buildUpstreamHeaders(ctx.req, ctx.client, ctx.id);
    ctx.upstreamHeaders.push('connection', 'Upgrade', 'upgrade', ctx.req.headers.upgrade ?? 'websocket');
    return true;
  },
};

export const upgradeHashKey: UpgradePass = {
  name: 'hashKey',
  run(ctx, gw) {
    ctx.hashKey = hashKeyOf(ctx.req, ctx.client, gw);
    return true;
  },
};

export const UPGRADE_PASSES: readonly UpgradePass[] = [
  upgradeRequestId,
  upgradeEdge,
  upgradeTarget,
  websocketOnly,
  upgradeClientAddress,
  upgradeHeaders,
  upgradeHashKey,
];

/** Runs the passes in order; the context when every one let the upgrade through, else undefined (already answered). */
export function runUpgradePasses(gw: GatewayRuntime, req: IncomingMessage, socket: Socket): UpgradeContext | undefined {
  const ctx: UpgradeContext = {
    req,
    socket,
    id: '',
    client: { peer: '', client: '', forwardedFor: '', peerTrusted: false },
    upstreamHeaders: [],
    hashKey: undefined,
  };
  for (const pass of UPGRADE_PASSES) if (!pass.run(ctx, gw)) return undefined;
  return ctx;
}
