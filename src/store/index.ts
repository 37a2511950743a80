export type {
  DeleteOptions,
  Entry,
  JsonEntry,
  JsonObject,
  JsonValue,
  Lock,
  RateLimitResult,
  RegisteredNode,
  ScoreEntry,
  ScoreMode,
  SetOptions,
  Store,
  StoreDriverName,
} from './store.js';
export { openStore, STORE_DRIVERS } from './open-store.js';
export { DEFAULT_OP_TIMEOUT_MS, type StoreConfig, type EmbeddedStoreConfig, type RedisStoreConfig } from './config.js';
export { userKey, appKey } from './keys.js';
export { resolveStoreConfig, DEFAULT_DATA_DIR, type StoreFlags } from './store-config.js';
