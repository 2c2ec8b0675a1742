import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { projectPath } from '../config/paths.ts';

/** The repository's `quizzes/` folder, where the packs live. */
export const QUIZZES_DIR = projectPath('quizzes');

/** YAML syntax errors reported per file; the rest are counted. */
const MAX_SYNTAX_ERRORS = 3;

/** The largest pack file accepted; anything bigger is a mistake, not a chapter. */
export const MAX_PACK_BYTES = 1024 * 1024;

/** Letters used for choices, in order. */
export const CHOICE_LETTERS = ['A', 'B', 'C', 'D', 'E'] as const;

const ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const text = z.string().trim().min(1, 'must not be empty');
const difficulty = z.enum(['easy', 'medium', 'hard']);

const choiceSchema = z.strictObject({
  text,
  why: text.optional(),
});

const mcqSchema = z.strictObject({
  id: z.string().regex(ID, 'must be lowercase letters, digits and dashes (2-64 characters)'),
  type: z.literal('mcq'),
  section: text,
  difficulty,
  prompt: text,
  choices: z.array(choiceSchema).min(3, 'needs 3 to 5 choices').max(5, 'needs 3 to 5 choices'),
  answer: z.string().regex(/^[A-Z]$/, 'must be one capital letter such as B'),
  explanation: text,
});

const keyPointSchema = z.strictObject({
  point: text,
  weight: z.number().int().min(1).max(10),
  terms: z.array(text).min(1, 'needs at least one word or phrase'),
});

const openSchema = z.strictObject({
  id: z.string().regex(ID, 'must be lowercase letters, digits and dashes (2-64 characters)'),
  type: z.enum(['interview', 'exercise']),
  section: text,
  difficulty,
  prompt: text,
  modelAnswer: text,
  keyPoints: z.array(keyPointSchema).min(1, 'needs at least one key point'),
});

const itemSchema = z.discriminatedUnion('type', [mcqSchema, openSchema]);

const packSchema = z.strictObject({
  pack: z.string().regex(ID, 'must be lowercase letters, digits and dashes (2-64 characters)'),
  title: text,
  chapter: z.number().int().positive().optional(),
  source: text.optional(),
  sections: z.record(z.string().regex(ID, 'section keys must be lowercase letters, digits and dashes (2-64 characters)'), text),
  items: z.array(z.unknown()).min(1, 'needs at least one item'),
});

/** How hard an item is. */
export type Difficulty = z.infer<typeof difficulty>;

/** One choice of a multiple-choice question. */
export interface Choice {
  /** What the choice says. */
  text: string;
  /** Why it is wrong (every wrong choice has one). */
  why?: string;
}

/** A multiple-choice question. */
export interface McqItem {
  /** Stable id; all history is keyed on it. */
  id: string;
  /** Item type. */
  type: 'mcq';
  /** Key of the chapter section it comes from. */
  section: string;
  /** How hard it is. */
  difficulty: Difficulty;
  /** The question. */
  prompt: string;
  /** 3 to 5 choices, lettered A, B, C... in order. */
  choices: Choice[];
  /** Index of the right choice (0 = A). */
  answer: number;
  /** Why the right answer is right. */
  explanation: string;
}

/** A key point an open answer should cover. */
export interface KeyPoint {
  /** What the point is, shown in feedback. */
  point: string;
  /** Its weight in the coverage score. */
  weight: number;
  /** Words and phrases any of which shows the point was covered. */
  terms: string[];
}

/** An interview question or exercise answered in free text. */
export interface OpenItem {
  /** Stable id; all history is keyed on it. */
  id: string;
  /** Item type. */
  type: 'interview' | 'exercise';
  /** Key of the chapter section it comes from. */
  section: string;
  /** How hard it is. */
  difficulty: Difficulty;
  /** The question. */
  prompt: string;
  /** A good answer, shown after the user answers. */
  modelAnswer: string;
  /** The weighted points a good answer covers. */
  keyPoints: KeyPoint[];
}

/** Any pack item. */
export type PackItem = McqItem | OpenItem;

/** A validated question pack. */
export interface Pack {
  /** Pack id, as typed in `/quiz <pack>`. */
  id: string;
  /** Human title. */
  title: string;
  /** Chapter number, when the pack comes from one. */
  chapter?: number;
  /** Where the material comes from. */
  source?: string;
  /** Section key → section title. */
  sections: Record<string, string>;
  /** The items, in file order. */
  items: PackItem[];
  /** The file it was loaded from. */
  file: string;
}

/** One problem found in a pack file. */
export interface PackError {
  /** The file (base name). */
  file: string;
  /** The item id, when the problem is inside an item. */
  itemId?: string;
  /** The field path, such as `choices[2].why`. */
  field?: string;
  /** What is wrong and what would be right. */
  message: string;
}

/** Formats a pack error as one line: file, item, field, message. */
export function formatPackError(e: PackError): string {
  const where = [e.file, e.itemId ? `item "${e.itemId}"` : null, e.field ? `field ${e.field}` : null].filter(Boolean).join(' ');
  return `${where}: ${e.message}`;
}

/** The result of validating one pack file. */
export type PackResult = { ok: true; pack: Pack } | { ok: false; errors: PackError[] };

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a map' : `a ${typeof v}`;
}

function issueField(issue: z.core.$ZodIssue): string | undefined {
  const path = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0] as string] : issue.path;
  return fieldPath(path) || undefined;
}

function issueMessage(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'invalid_type') {
    const v = valueAt(root, issue.path);
    if (v === undefined) return `is missing (expected ${issue.expected})`;
    if (issue.expected === 'string' && (typeof v === 'number' || typeof v === 'boolean' || v === null)) {
      return `YAML read this as ${describe(v)} (${String(v)}), not text; put it in quotes`;
    }
    return `expected ${issue.expected}, got ${describe(v)}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  // zod says only "Invalid key in record"; the rule the key broke is in the nested issue.
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (issue.code === 'invalid_union') {
    const v = valueAt(root, issue.path);
    const t = v && typeof v === 'object' ? (v as { type?: unknown }).type : undefined;
    return `unknown item type ${JSON.stringify(t)}; use mcq, interview or exercise`;
  }
  return issue.message;
}

function findForbiddenKeys(v: unknown, path: PropertyKey[], out: PropertyKey[][]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => findForbiddenKeys(x, [...path, i], out));
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.getOwnPropertyNames(v)) {
      if (FORBIDDEN_KEYS.has(k)) out.push([...path, k]);
      else findForbiddenKeys((v as Record<string, unknown>)[k], [...path, k], out);
    }
  }
}

function itemIdOf(raw: unknown): string | undefined {
  if (raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string') return (raw as { id: string }).id;
  return undefined;
}

/** Validates the text of one pack file; `file` is used in error messages. */
export function parsePack(source: string, file: string): PackResult {
  const name = basename(file);
  const errors: PackError[] = [];
  const doc = parseDocument(source, { uniqueKeys: true, prettyErrors: true, version: '1.2' });
  if (doc.errors.length > 0) {
    // A file that is not YAML at all yields one error per token; the first few say enough.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => {
      const first = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      // yaml quotes the whole offending token, which can be a page of text.
      const what = first.replace(/:\s*".*$/s, '');
      const pos = e.linePos?.[0];
      return { file: name, message: `YAML error${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${what.length > 120 ? `${what.slice(0, 119)}…` : what}` };
    });
    const more = doc.errors.length - shown.length;
    if (more > 0) shown.push({ file: name, message: `… and ${more} more YAML error${more === 1 ? '' : 's'}; is this a question pack?` });
    return { ok: false, errors: shown };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    return { ok: false, errors: [{ file: name, message: `could not read YAML: ${(e as Error).message}` }] };
  }
  const forbidden: PropertyKey[][] = [];
  findForbiddenKeys(raw, [], forbidden);
  if (forbidden.length > 0) {
    return {
      ok: false,
      errors: forbidden.map((p) => {
        const item = p[0] === 'items' && typeof p[1] === 'number' ? itemIdOf(valueAt(raw, p.slice(0, 2))) : undefined;
        return { file: name, itemId: item, field: fieldPath(p), message: `the key ${String(p[p.length - 1])} is not allowed` };
      }),
    };
  }

  const top = packSchema.safeParse(raw);
  if (!top.success) {
    return { ok: false, errors: top.error.issues.map((i) => ({ file: name, field: issueField(i), message: issueMessage(i, raw) })) };
  }
  const head = top.data;
  const items: PackItem[] = [];
  const seen = new Map<string, number>();
  head.items.forEach((rawItem, index) => {
    const id = itemIdOf(rawItem);
    const at = (field?: string): Pick<PackError, 'file' | 'itemId' | 'field'> => ({
      file: name,
      itemId: id ?? `#${index + 1}`,
      field,
    });
    const parsed = itemSchema.safeParse(rawItem);
    if (!parsed.success) {
      for (const i of parsed.error.issues) errors.push({ ...at(issueField(i)), message: issueMessage(i, rawItem) });
      return;
    }
    const it = parsed.data;
    const before = seen.get(it.id);
    if (before !== undefined) errors.push({ ...at('id'), message: `duplicate id; item #${before + 1} already uses it` });
    else seen.set(it.id, index);
    if (!(it.section in head.sections)) {
      errors.push({ ...at('section'), message: `unknown section "${it.section}"; sections are ${Object.keys(head.sections).join(', ')}` });
    }
    if (it.type === 'mcq') {
      const answer = CHOICE_LETTERS.indexOf(it.answer as (typeof CHOICE_LETTERS)[number]);
      if (answer < 0 || answer >= it.choices.length) {
        errors.push({
          ...at('answer'),
          message: `"${it.answer}" is out of range: the item has ${it.choices.length} choices (A-${CHOICE_LETTERS[it.choices.length - 1]})`,
        });
        return;
      }
      const texts = new Map<string, number>();
      it.choices.forEach((c, ci) => {
        const key = c.text.toLowerCase().replace(/\s+/g, ' ');
        const prev = texts.get(key);
        if (prev !== undefined) errors.push({ ...at(`choices[${ci}].text`), message: `duplicate choice; same as choice ${CHOICE_LETTERS[prev]}` });
        else texts.set(key, ci);
        if (ci !== answer && !c.why) errors.push({ ...at(`choices[${ci}].why`), message: 'a wrong choice needs "why" (why it is wrong)' });
      });
      items.push({ ...it, answer });
    } else {
      items.push(it);
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    pack: { id: head.pack, title: head.title, chapter: head.chapter, source: head.source, sections: head.sections, items, file: name },
  };
}

/** Reads and validates one pack file, refusing files over 1 MB before reading them. */
export function loadPackFile(path: string): PackResult {
  const name = basename(path);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return { ok: false, errors: [{ file: name, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  if (size > MAX_PACK_BYTES) {
    return { ok: false, errors: [{ file: name, message: `file is ${size} bytes; packs may be at most ${MAX_PACK_BYTES} bytes (1 MB)` }] };
  }
  return parsePack(readFileSync(path, 'utf8'), path);
}

/** The packs that loaded, and the problems of those that did not. */
export interface PackCatalog {
  /** Valid packs by id. */
  packs: ReadonlyMap<string, Pack>;
  /** Errors of files left out. */
  errors: PackError[];
}

/**
 * Loads every `*.yaml`/`*.yml` file of a folder. A file with errors is reported and left out
 * while the others load; two files with the same pack id keep the first (by file name).
 */
export function loadPacks(dir: string): PackCatalog {
  const packs = new Map<string, Pack>();
  const errors: PackError[] = [];
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/i.test(f))
      .sort();
  } catch (e) {
    return { packs, errors: [{ file: dir, message: `cannot read the packs folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  for (const f of files) {
    const r = loadPackFile(join(dir, f));
    if (!r.ok) {
      errors.push(...r.errors);
      continue;
    }
    const other = packs.get(r.pack.id);
    if (other) {
      errors.push({ file: f, field: 'pack', message: `pack id "${r.pack.id}" is already used by ${other.file}` });
      continue;
    }
    packs.set(r.pack.id, r.pack);
  }
  return { packs, errors };
}

/** The multiple-choice items of a pack. */
export function mcqItems(pack: Pack): McqItem[] {
  return pack.items.filter((i): i is McqItem => i.type === 'mcq');
}

/** The interview and exercise items of a pack. */
export function openItems(pack: Pack): OpenItem[] {
  return pack.items.filter((i): i is OpenItem => i.type !== 'mcq');
}

/** Finds an item by id. */
export function findItem(pack: Pack, id: string): PackItem | undefined {
  return pack.items.find((i) => i.id === id);
}
