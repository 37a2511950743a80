#!/usr/bin/env node
/**
 * The `miniscale` command. Each subcommand lives in src/commands/ and registers itself
 * here. Usage errors (unknown flag, bad value) print one line and exit with code 2.
 */
import { Command, CommanderError } from 'commander';
import { isMiniscaleError } from './core/errors.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { registerNginxConfigCommand } from './commands/nginx-config.js';
import { registerNodeCommand } from './commands/node.js';
import { registerRedisClusterCommand } from './commands/redis-cluster.js';
import { registerRestartCommand } from './commands/restart.js';
import { registerStatusCommand } from './commands/status.js';
import { registerStoreCommand } from './commands/store.js';
import { registerUpCommand } from './commands/up.js';
import { registerWechatEmulatorCommand } from './commands/wechat-emulator.js';

export const USAGE_EXIT_CODE = 2;

export function buildProgram(): Command {
  const program = new Command('miniscale')
    .description('A self-hosted, scale-out backend for WeChat mini programs')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (line, write) => write(line.trimEnd().split('\n')[0] + '\n') });
  registerUpCommand(program);
  registerRestartCommand(program);
  registerStatusCommand(program);
  registerStoreCommand(program);
  registerNodeCommand(program);
  registerNginxConfigCommand(program);
  registerRedisClusterCommand(program);
  registerWechatEmulatorCommand(program);
  registerGatewayCommand(program);
  // Subcommands inherit exitOverride and output settings only when set on each of them.
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput({ outputError: (line, write) => write(line.trimEnd().split('\n')[0] + '\n') });
  }
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version also end through exitOverride, with exit code 0.
      return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`miniscale: ${isMiniscaleError(err) ? `${err.code}: ` : ''}${message.split('\n')[0]}\n`);
    // A setting that cannot work (flag or environment) is a usage error, like a bad flag;
    // an error that knows its exit code (a child's that failed) keeps it.
    if (isMiniscaleError(err) && err.code === 'CONFIG_INVALID') return USAGE_EXIT_CODE;
    const own = (err as { exitCode?: unknown }).exitCode;
    return isMiniscaleError(err) && typeof own === 'number' && own > 0 ? own : 1;
  }
}

const exitCode = await main(process.argv);
process.exitCode = exitCode;
