/**
 * A reader for the small subset of YAML that deploy/compose.yaml is written in: block
 * mappings by indentation, `#` comment lines, and values that are either plain words or
 * JSON (a "quoted string", a [list] or an {object}). Anything else — block sequences,
 * anchors, multi-line scalars, tabs — is an error naming its line, so the file stays
 * readable without a YAML library and a construct this reader would misread fails loudly.
 */

export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue } | number | boolean | null;
export type YamlMap = { [key: string]: YamlValue };

export class SimpleYamlError extends Error {}

interface Level {
  indent: number;
  map: YamlMap;
}

export function readSimpleYaml(text: string): YamlMap {
  const root: YamlMap = {};
  const stack: Level[] = [{ indent: 0, map: root }];
  let pending: { map: YamlMap; key: string; indent: number; line: number } | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    if (/^\s*\t/.test(raw)) throw new SimpleYamlError(`line ${n}: a tab in the indentation`);
    const indent = raw.length - raw.trimStart().length;
    if (pending) {
      if (indent <= pending.indent) throw new SimpleYamlError(`line ${pending.line}: "${pending.key}" has no value`);
      const child: YamlMap = {};
      pending.map[pending.key] = child;
      stack.push({ indent, map: child });
      pending = undefined;
    }
    while (stack.length > 1 && stack.at(-1)!.indent > indent) stack.pop();
    const level = stack.at(-1)!;
    if (level.indent !== indent) throw new SimpleYamlError(`line ${n}: indentation ${indent} matches no enclosing mapping`);
    const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(raw.trim());
    if (!m) throw new SimpleYamlError(`line ${n}: expected "key: value" or "key:" (got ${JSON.stringify(raw.trim())})`);
    const [, key, rest] = m as unknown as [string, string, string | undefined];
    if (Object.hasOwn(level.map, key)) throw new SimpleYamlError(`line ${n}: "${key}" appears twice`);
    if (rest === undefined || rest === '') pending = { map: level.map, key, indent, line: n };
    else level.map[key] = scalar(rest, n);
  });
  if (pending) throw new SimpleYamlError(`line ${pending.line}: "${pending.key}" has no value`);
  return root;
}

function scalar(text: string, line: number): YamlValue {
  if (/^["[{]/.test(text)) {
    try {
      return JSON.parse(text) as YamlValue;
    } catch (err) {
      throw new SimpleYamlError(`line ${line}: not JSON: ${(err as Error).message}`);
    }
  }
  // Plain words only: what YAML would read differently (anchors, aliases, tags, block
  // scalars, sequences, flow collections in quotes, trailing comments) is refused.
  if (/^[&*!|>'%@`-]/.test(text) || /\s#|:\s/.test(text))
    throw new SimpleYamlError(`line ${line}: ${JSON.stringify(text)} is outside the supported subset`);
  return text;
}

/** The mapping at `key` of `map`, or an error saying what is missing. */
export function mapAt(map: YamlMap, key: string, where: string): YamlMap {
  const v = map[key];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SimpleYamlError(`${where}: "${key}" is not a mapping`);
  return v;
}
