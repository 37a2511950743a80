/**
 * One log stream for everything `miniscale up` runs. Every process logs pino JSON
 * lines already tagged with `component` (and `nodeId`); `up` passes its children's
 * lines through unchanged and writes its own into the same stream. On a terminal the
 * lines are pretty-printed; anywhere else they stay JSON, for log shippers.
 */
import { pino, type LevelWithSilent, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LoggerOptions } from '../core/logging.js';

export interface LogStream {
  /** One line from a child: JSON from pino, or anything else it printed. */
  writeLine(line: string): void;
  logger(component: LoggerOptions['component'], level: LevelWithSilent): Logger;
}

export function createLogStream(pretty: boolean, out: NodeJS.WritableStream = process.stdout): LogStream {
  const format = pretty
    ? prettyFactory({ colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', messageKey: 'msg' })
    : null;
  const writeLine = (line: string) => {
    if (!line.trim()) return;
    if (!format || !line.startsWith('{')) {
      out.write(`${line}\n`);
      return;
    }
    try {
      out.write(format(JSON.parse(line)));
    } catch {
      out.write(`${line}\n`);
    }
  };
  return {
    writeLine,
    logger: (component, level) =>
      pino(
        { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime },
        {
          write: (chunk: string) => {
            for (const line of chunk.split('\n')) writeLine(line);
          },
        },
      ),
  };
}
