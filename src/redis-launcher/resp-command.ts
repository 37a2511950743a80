/**
 * A minimal RESP client: one command, one simple-string, error or bulk-string reply.
 * CLUSTER INFO, CLUSTER NODES and INFO all answer one bulk string, which is all the
 * cluster launcher needs; a full client library would be a heavy dependency for that.
 */
import { ClusterNodeQueryError } from '../core/errors.js';
import net from 'node:net';

/** A loopback node answers in well under a millisecond; a second means it is not well. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;

/** Sends ARGS to 127.0.0.1:port; throws ClusterNodeQueryError on any failure or error reply. */
export function bulkCommand(port: number, args: string[], timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let buffer = Buffer.alloc(0);
    // Runs more than once (destroy() itself fires 'close'); only the first call settles.
    const finish = (err: Error | null, value = '') => {
      socket.destroy();
      if (err) reject(new ClusterNodeQueryError(err.message, { cause: err }));
      else resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed')));
    socket.on('connect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parseReply(buffer);
      if (reply) finish('error' in reply ? new Error(reply.error) : null, 'value' in reply ? reply.value : '');
    });
  });
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** One simple-string, error or bulk-string reply; null while incomplete. */
function parseReply(buffer: Buffer): { value: string } | { error: string } | null {
  const eol = buffer.indexOf('\r\n');
  if (eol < 0) return null;
  const head = buffer.subarray(0, eol).toString();
  if (head.startsWith('-')) return { error: head.slice(1) };
  if (head.startsWith('+')) return { value: head.slice(1) };
  if (!head.startsWith('$')) return { error: `unexpected reply ${JSON.stringify(head)}` };
  const length = Number(head.slice(1));
  if (length < 0) return { value: '' };
  // Bulk lengths count bytes, so slice the Buffer, not a decoded string.
  if (buffer.length < eol + 2 + length + 2) return null;
  return { value: buffer.subarray(eol + 2, eol + 2 + length).toString() };
}
