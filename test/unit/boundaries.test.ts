import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const forbidden = [/^@slack\//, /^discord\.js$/, /^@aws-sdk\//, /^drizzle-orm(\/|$)/, /^better-sqlite3$/, /^pg$/];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

describe('boundaries', () => {
  it('src/core and commands/ import no platform, AWS or storage library', () => {
    const offenders: string[] = [];
    for (const f of [...files(join(root, 'src/core')), ...files(join(root, 'commands'))]) {
      for (const spec of imports(readFileSync(f, 'utf8'))) {
        if (forbidden.some((re) => re.test(spec))) offenders.push(`${relative(root, f)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
  it('only src/aws imports @aws-sdk, and only src/db imports drizzle-orm, better-sqlite3 or pg', () => {
    const offenders: string[] = [];
    for (const f of files(join(root, 'src'))) {
      const rel = relative(root, f);
      for (const spec of imports(readFileSync(f, 'utf8'))) {
        if (/^@aws-sdk\//.test(spec) && !rel.startsWith('src/aws/')) offenders.push(`${rel} imports ${spec}`);
        if (/^(drizzle-orm|better-sqlite3|pg)(\/|$)/.test(spec) && !rel.startsWith('src/db/')) offenders.push(`${rel} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
  it('src/ports reaches no module that imports src/ports back (no type cycle through the core)', () => {
    const portsDir = join(root, 'src/ports');
    const deps = (f: string): string[] =>
      imports(readFileSync(f, 'utf8'))
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => resolve(dirname(f), spec));
    const offenders: string[] = [];
    for (const start of files(portsDir)) {
      const seen = new Set<string>();
      const stack = deps(start).filter((d) => !d.startsWith(portsDir)).map((d) => [d]);
      while (stack.length > 0) {
        const path = stack.pop()!;
        const f = path.at(-1)!;
        if (seen.has(f)) continue;
        seen.add(f);
        for (const d of deps(f)) {
          if (d.startsWith(portsDir)) offenders.push([start, ...path, d].map((x) => relative(root, x)).join(' → '));
          else if (!seen.has(d)) stack.push([...path, d]);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
  it('the scan itself sees imports (it would catch a violation)', () => {
    expect(imports("import { App } from '@slack/bolt';\nconst x = await import('discord.js');")).toEqual(['@slack/bolt', 'discord.js']);
  });
});
