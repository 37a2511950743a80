import type { Algorithm } from '../options.js';
import { ConsistentHashPicker } from './consistent-hash.js';
import { LeastConnPicker } from './least-conn.js';
import { P2cEwmaPicker } from './p2c-ewma.js';
import type { Picker } from './picker.js';
import { RoundRobinPicker } from './round-robin.js';

export type { Picker, PickRequest, Outcome } from './picker.js';
export { ConsistentHashPicker, LeastConnPicker, P2cEwmaPicker, RoundRobinPicker };

export function createPicker(algorithm: Algorithm, opts: { hashBalance: number }): Picker {
  switch (algorithm) {
    case 'round-robin':
      return new RoundRobinPicker();
    case 'least-conn':
      return new LeastConnPicker();
    case 'p2c-ewma':
      return new P2cEwmaPicker();
    case 'hash':
      return new ConsistentHashPicker(opts.hashBalance);
  }
}
