// cluster-key-slot (the hash-slot function ioredis routes on) ships no typings.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0–16383) of a key, honouring its `{…}` hash tag. */
  function generate(key: string | Buffer): number;
  export default generate;
}
