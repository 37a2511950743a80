/**
 * `miniscale store upgrade`: flips an embedded data directory to the current store
 * format (packed values, counted rank levels; src/store/drivers/embedded-format.ts).
 * Run it after every node runs this version (e.g. after `miniscale restart`): nodes of
 * earlier versions cannot read the new format. Nodes still running pick the switch up
 * at their next write; reading works in both formats throughout.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from '../core/errors.js';
import { openEmbeddedDriver } from '../store/drivers/embedded.js';
import { DEFAULT_DATA_DIR, embeddedDir } from '../store/store-config.js';

interface Flags {
  data: string;
}

export function registerStoreCommand(program: Command): void {
  const store = program.command('store').description('maintenance of the embedded store');
  store
    .command('upgrade')
    .description('switch the embedded store in --data to the current format, once no node of an earlier version runs on it')
    .option('--data <dir>', 'data directory (the embedded store lives in DATA/embedded)', DEFAULT_DATA_DIR)
    .action(async (flags: Flags) => {
      const dir = embeddedDir(flags.data);
      // Opening would create an empty store (born in the current format); say what is wrong instead.
      if (!existsSync(dir)) throw new ConfigError(`no embedded store in ${flags.data} (${dir} does not exist)`);
      const driver = await openEmbeddedDriver({ driver: 'embedded', dir });
      try {
        const result = await driver.upgradeFormat();
        process.stdout.write(
          `${JSON.stringify({ event: result.from === result.to ? 'store-already-current' : 'store-upgraded', dir, ...result })}\n`,
        );
      } finally {
        await driver.close();
      }
    });
}
