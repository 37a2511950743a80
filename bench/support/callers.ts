/**
 * `node --import tsx bench/support/callers.ts FILE.cpuprofile PATTERN [DEPTH]`
 *
 * Who calls the functions whose "name file" matches PATTERN (a regex), weighted by
 * the samples spent in them: the call paths up to DEPTH frames (default 4) above each
 * match, most expensive first. For questions a bucket table cannot answer, such as
 * "which hooks schedule all these nextTicks?" (bench/api/run.ts --profile --profile-dir DIR
 * keeps the profiles).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const [file, pattern, depthArg] = process.argv.slice(2);
if (!file || !pattern) {
  console.error('usage: node --import tsx bench/support/callers.ts FILE.cpuprofile PATTERN [DEPTH]');
  process.exit(2);
}
const depth = Number(depthArg ?? 4);
const re = new RegExp(pattern);
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode) => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/')}${f.url ? `:${f.lineNumber + 1}` : ''}`.trim();
};

const paths = new Map<string, number>();
let matched = 0;
for (const id of p.samples) {
  const n = byId.get(id)!;
  if (!re.test(label(n))) continue;
  matched++;
  const chain: string[] = [label(n)];
  let up = parent.get(id);
  for (let i = 0; i < depth && up !== undefined; i++, up = parent.get(up)) chain.push(label(byId.get(up)!));
  const key = chain.join('  <-  ');
  paths.set(key, (paths.get(key) ?? 0) + 1);
}
console.log(
  `${matched} of ${p.samples.length} samples (${((100 * matched) / p.samples.length).toFixed(1)} %) in frames matching /${pattern}/`,
);
for (const [chain, n] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * n) / Math.max(1, matched)).toFixed(1).padStart(5)} %  ${chain}`);
}
