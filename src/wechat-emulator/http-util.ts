/** Small node:http helpers for the emulator: JSON answers and bounded request bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** stable_token bodies are ~150 bytes; anything near this is not a WeChat request. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Sends JSON the way WeChat does (it labels its answers `application/json; encoding=utf-8`). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; encoding=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The request body, or null when it was larger than `limit`. An oversized body is still
 * read to its end (and dropped) before the answer, so the client is never reset while
 * it is sending.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.once('end', () => resolve(size <= limit ? Buffer.concat(chunks) : null));
    req.once('error', reject);
  });
}

/** Parses JSON, answering undefined for anything that is not valid JSON. */
export function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** `http://host:port`, with IPv6 literals in brackets. */
export function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
