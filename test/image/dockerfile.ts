/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  /** The rest of the line. */
  args: string;
  /** 1-based line where it starts. */
  line: number;
}

/** One build stage: its FROM line and the instructions under it. */
export interface Stage {
  /** The image or earlier stage it starts from, `${ARG}` references resolved. */
  from: string;
  /** Its `AS name`, if any. */
  name?: string;
  /** Its instructions after FROM. */
  instructions: Instruction[];
}

/** A parsed Dockerfile: global ARGs and stages. */
export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  args: Record<string, string>;
  /** Build stages in order; the last is the image. */
  stages: Stage[];
}

/** Parses the subset of Dockerfile syntax dockhand's own Dockerfile uses (comments, `\` continuations, ARG, FROM … AS). */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      line = line.trimEnd().slice(0, -1) + ' ' + (lines[++i] as string).trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m) instructions.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start + 1 });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [from = '', , name] = ins.args.split(/\s+/);
      stages.push({ from: from.replace(/\$\{(\w+)\}/g, (_, a: string) => args[a] ?? ''), ...(name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const [k = '', v = ''] = ins.args.split('=');
      args[k] = v;
    } else stages.at(-1)?.instructions.push(ins);
  }
  return { args, stages };
}

/** The JSON array of an exec-form instruction (`CMD ["node", "x"]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const json = args.replace(/^--\S+\s+/g, '');
  if (!json.startsWith('[')) return undefined;
  return JSON.parse(json) as string[];
}
