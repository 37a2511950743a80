/**
 * The one place where anything thrown while handling a request becomes an HTTP
 * answer: typed errors keep their code, Fastify's own errors are translated, and
 * everything else is INTERNAL — logged with the request id, never shown in detail.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isMiniscaleError, type MiniscaleError } from '../core/errors.js';
import { closesConnection } from '../http/edge-errors.js';
import { errorBody, statusOf, STATUS_BY_CODE, type ApiErrorCode } from '../core/error-response.js';
import { closeLingering } from '../http/lingering-close.js';

/** Fastify's own error codes that mean the client sent something wrong. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_ASYNC_CONSTRAINT: 'VALIDATION_FAILED',
};

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
  if (mustClose(err, code, request)) {
    // Answer now, then read and drop what is left of the body for a bounded time and
    // size before closing, so the client can read this answer (lingering-close.ts).
    // Reading all of a body first, as before, cost up to the whole body before any answer;
    // closing at once made the kernel reset the connection and the client lose it.
    reply.header('connection', 'close');
    closeLingering(reply.raw);
  }
  void reply.code(status).type('application/json').send(errorBody(code, message));
}

/**
 * A refusal at the edge closes the connection (as the gateway's do); so does a 413 whose
 * body is still coming — it will not be read, so the connection cannot carry another request.
 */
function mustClose(err: unknown, code: ApiErrorCode, request: FastifyRequest): boolean {
  return closesConnection(err) || (code === 'PAYLOAD_TOO_LARGE' && !request.raw.complete);
}

/**
 * What a client is told about a failure on our side. The typed errors' own messages name
 * internal addresses, store keys and WeChat's answers to our credentials — useful in the
 * log (where they go, with the request id), not to whoever sent the request.
 */
const PUBLIC_5XX_MESSAGES: Partial<Record<ApiErrorCode, string>> = {
  STORE_UNAVAILABLE: 'the store did not answer in time; a write may or may not have happened',
  UPSTREAM_UNAVAILABLE: 'WeChat could not be reached or answered an error we cannot act on',
  UPSTREAM_TIMEOUT: 'the request deadline passed, or WeChat did not answer in time',
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
