import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execForm, parseDockerfile } from '../image/dockerfile.ts';

const root = join(import.meta.dirname, '../..');
const docker = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const final = docker.stages.at(-1)!;
const finalOf = (keyword: string): string[] => final.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile (checked statically: no Docker engine runs on these machines)', () => {
  it('builds on an exact Node 20 release of the slim Debian image', () => {
    for (const s of docker.stages.filter((s) => !docker.stages.some((o) => o.name === s.from))) {
      expect(s.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    }
  });

  it('compiles in a build stage and runs only dist/ with production dependencies in the final one', () => {
    expect(docker.stages.length).toBeGreaterThanOrEqual(2);
    const runs = docker.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /npm run build/.test(r))).toBe(true);
    const copies = finalOf('COPY');
    expect(copies.some((c) => /--from=\S+ \/app\/dist /.test(c))).toBe(true);
    expect(copies.some((c) => /--from=\S+ \/app\/node_modules /.test(c))).toBe(true);
    for (const dir of ['drizzle', 'quizzes']) expect(copies.some((c) => c.startsWith(`${dir} `))).toBe(true);
    // Nothing in the final stage compiles or installs: those happen where the compiler is.
    expect(finalOf('RUN').join('\n')).not.toMatch(/apt-get|npm (ci|install)|g\+\+/);
    expect(finalOf('COPY').join('\n')).not.toMatch(/^src |tsconfig/m);
    expect(execForm(finalOf('CMD')[0] ?? '')).toEqual(['node', '--max-semi-space-size=4', 'dist/src/main.js']);
  });

  it('has the quiz packs where `npm run build` runs, so the image starts on packs parsed at build time', () => {
    const build = docker.stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /npm run build/.test(i.args)))!;
    const at = (test: (i: { keyword: string; args: string }) => boolean): number => build.instructions.findIndex(test);
    const copied = at((i) => i.keyword === 'COPY' && i.args.startsWith('quizzes '));
    expect(copied).toBeGreaterThanOrEqual(0);
    expect(copied).toBeLessThan(at((i) => i.keyword === 'RUN' && /npm run build/.test(i.args)));
  });

  it('runs as a non-root user with its data in /data', () => {
    expect(finalOf('USER')).toEqual(['node']);
    expect(finalOf('ENV').join(' ')).toContain('DOCKHAND_DB=/data/dockhand.db');
  });

  it('checks its health with node itself (the slim image has no curl)', () => {
    const health = finalOf('HEALTHCHECK');
    expect(health).toHaveLength(1);
    const cmd = execForm((health[0] as string).replace(/^(--\S+\s+)*CMD\s+/, ''));
    expect(cmd?.[0]).toBe('node');
    expect(cmd?.join(' ')).toContain('/healthz');
  });

  it('starts node in exec form so signals reach it, not through npm or a shell', () => {
    const cmd = finalOf('CMD')[0] ?? '';
    expect(execForm(cmd)?.[0]).toBe('node');
    expect(finalOf('ENTRYPOINT')).toEqual([]);
  });

  it('bakes no secret into the image', () => {
    const all = docker.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG');
    for (const i of all) expect(i.args, `line ${i.line}`).not.toMatch(/TOKEN|SECRET|PASSWORD|DATABASE_URL|AWS_ACCESS_KEY|AWS_SECRET/i);
  });
});
