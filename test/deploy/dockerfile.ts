/**
 * A Dockerfile as a list of stages of instructions: continuation lines joined, comments
 * dropped, each instruction's keyword upper-cased. Enough to check a Dockerfile's
 * structure without a Docker daemon.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

export function readDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let current: Instruction | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines may sit inside a continued instruction too; they are dropped there as well.
    if (trimmed.startsWith('#')) return;
    if (!current) {
      if (trimmed === '') return;
      const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
      current = { keyword: m[1]!.toUpperCase(), args: m[2]!, line: i + 1 };
      instructions.push(current);
    } else {
      current.args += ` ${trimmed}`;
    }
    if (current.args.endsWith('\\')) current.args = current.args.slice(0, -1).trimEnd();
    else current = undefined;
  });
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: FROM ${ins.args}: expected IMAGE [AS NAME]`);
      stages.push({ base: m[1]!, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** The instructions of `stage` with this keyword. */
export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, or null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.trimStart().startsWith('[')) return null;
  const parsed = JSON.parse(args) as unknown;
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : null;
}
