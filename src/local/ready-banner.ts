/** The block `miniscale up` prints once everything answers: what runs, where, how to stop it. */
export interface ReadyInfo {
  /** Where clients connect. */
  url: string;
  topology: 'one-hop' | 'gateway';
  algorithm: string;
  nodes: number;
  store: string;
  /** The emulator's URL in dev mode. */
  emulatorUrl?: string;
  /** Where the admin key is kept, or null when it came from MINISCALE_ADMIN_KEY. */
  adminKeyFile: string | null;
  dataDir: string;
  /** With --advertise: the URL this machine is registered under, for gateways on other machines. */
  advertise?: string;
}

export function readyBanner(r: ReadyInfo): string {
  const rows: [string, string][] = [
    [
      'url',
      r.topology === 'one-hop'
        ? `${r.url}  (${r.nodes} API node worker${r.nodes === 1 ? '' : 's'} sharing the port; dashboard ${r.url}/_gateway/)`
        : `${r.url}  (gateway, ${r.algorithm} over ${r.nodes} node${r.nodes === 1 ? '' : 's'}; dashboard ${r.url}/_gateway/)`,
    ],
    ['store', r.store],
    ...(r.advertise ? [['registry', `registered as ${r.advertise} for \`miniscale gateway --discover\``] as [string, string]] : []),
    [
      'mode',
      r.emulatorUrl
        ? `dev — WeChat emulator at ${r.emulatorUrl}; log in with codes like "dev:alice"`
        : 'production — WeChat API from MINISCALE_WECHAT_*',
    ],
    ['admin key', r.adminKeyFile ?? 'from MINISCALE_ADMIN_KEY'],
    ['stop', `Ctrl-C (twice to force) · rolling restart: miniscale restart --data ${r.dataDir}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return ['', 'Miniscale is up', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), ''].join('\n') + '\n';
}
