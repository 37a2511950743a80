/**
 * The one place where anything thrown while handling a request becomes an HTTP
 * answer: typed errors keep their code, Fastify's own errors are translated, and
 * everything else is INTERNAL — logged with the request id, never shown in detail.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isMiniscaleError, type MiniscaleError } from '../errors.js';
import { errorBody, statusOf, STATUS_BY_CODE, type ApiErrorCode } from '../http/error-response.js';

/** Fastify's own error codes that mean the client sent something wrong. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_ASYNC_CONSTRAINT: 'VALIDATION_FAILED',
};

/**
 * A body refused before it was read is still read — and thrown away — up to this much
 * before the 413 goes out (a "lingering close", as Apache and nginx do). Answering at
 * once makes Node close the connection with the rest of the body unread, the kernel
 * then resets it, and the reset can destroy the 413 before the gateway reads it: the
 * client got 502 and the gateway counted a failure against a healthy node, so a few
 * oversized bodies could get nodes ejected. 4 MiB covers the gateway's body limit
 * (1 MiB by default) with room; anything larger is cut off as before.
 */
export const DRAIN_MAX_BYTES = 4 * 1024 * 1024;
/** …and for at most this long, so a client that stops sending cannot hold the request. */
export const DRAIN_MAX_MS = 5_000;

export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const { code, message } = classify(err);
  const status = statusOf(code);
  if (status >= 500) {
    request.log.error({ err, code }, 'request failed');
  } else {
    request.log.debug({ code, message }, 'request refused');
  }
  const retryAfter = (err as { retryAfterSec?: unknown }).retryAfterSec;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  const send = () => void reply.code(status).type('application/json').send(errorBody(code, message));
  if (code === 'PAYLOAD_TOO_LARGE') drainThen(request, send);
  else send();
}

/** Reads and discards what is left of the request body (bounded), then calls `send` once. */
function drainThen(request: FastifyRequest, send: () => void): void {
  const raw = request.raw;
  if (raw.complete || raw.destroyed) return send();
  let drained = 0;
  let sent = false;
  const finish = () => {
    if (sent) return;
    sent = true;
    clearTimeout(timer);
    raw.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
    send();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_MAX_BYTES) finish();
  };
  const timer = setTimeout(finish, DRAIN_MAX_MS);
  timer.unref();
  raw.on('data', onData).once('end', finish).once('error', finish).once('close', finish);
  raw.resume();
}

/**
 * What a client is told about a failure on our side. The typed errors' own messages name
 * internal addresses, store keys and WeChat's answers to our credentials — useful in the
 * log (where they go, with the request id), not to whoever sent the request.
 */
const PUBLIC_5XX_MESSAGES: Partial<Record<ApiErrorCode, string>> = {
  STORE_UNAVAILABLE: 'the store did not answer in time; a write may or may not have happened',
  UPSTREAM_UNAVAILABLE: 'WeChat could not be reached or answered an error we cannot act on',
  UPSTREAM_TIMEOUT: 'the request deadline passed before the node could answer',
};

function classify(err: FastifyError | Error): { code: ApiErrorCode; message: string } {
  const found = classifyDetailed(err);
  if (statusOf(found.code) < 500) return found;
  return { code: found.code, message: PUBLIC_5XX_MESSAGES[found.code] ?? 'internal error' };
}

function classifyDetailed(err: FastifyError | Error): { code: ApiErrorCode; message: string } {
  if (isMiniscaleError(err) && isApiCode(err.code)) return { code: err.code, message: err.message };
  if (isMiniscaleError(err)) return { code: 'INTERNAL', message: 'internal error' };
  const fastifyErr = err as FastifyError;
  if (fastifyErr.validation) return { code: 'VALIDATION_FAILED', message: fastifyErr.message };
  const mapped = fastifyErr.code ? FASTIFY_CODES[fastifyErr.code] : undefined;
  if (mapped) return { code: mapped, message: fastifyErr.message };
  if (fastifyErr.statusCode && fastifyErr.statusCode >= 400 && fastifyErr.statusCode < 500) {
    return { code: 'VALIDATION_FAILED', message: fastifyErr.message };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}

function isApiCode(code: MiniscaleError['code']): code is ApiErrorCode {
  return code in STATUS_BY_CODE;
}
