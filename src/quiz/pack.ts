import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { yaml } from '../config/lazy-yaml.ts';
import { projectPath } from '../config/paths.ts';
import { DEFAULT_PASS_MARK, NEGATION_CUES, tokenize } from './coverage.ts';

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

const idSchema = z.string().regex(ID, 'must be lowercase letters, digits and dashes (2-64 characters)');

const mcqSchema = z.strictObject({
  id: idSchema,
  type: z.literal('mcq'),
  section: text,
  difficulty,
  prompt: text,
  choices: z.array(choiceSchema).min(3, 'needs 3 to 5 choices').max(5, 'needs 3 to 5 choices'),
  answer: z.string().regex(/^[A-Z]$/, 'must be one capital letter such as B'),
  explanation: text,
  retired: z.boolean().optional(),
});

const nearSchema = z.array(z.array(text).min(2, 'a near set needs at least 2 words or phrases')).min(1, 'needs at least one near set');

const keyPointSchema = z
  .strictObject({
    point: text,
    weight: z.number().int().min(1).max(10),
    terms: z.array(text).min(1, 'needs at least one word or phrase').optional(),
    near: nearSchema.optional(),
    negated: z.boolean().optional(),
  })
  .refine((k) => k.terms !== undefined || k.near !== undefined, { message: 'needs terms or near (or both)' });

const misconceptionSchema = z
  .strictObject({
    claim: text,
    terms: z.array(text).min(1, 'needs at least one word or phrase').optional(),
    near: nearSchema.optional(),
    contradicts: z.union([z.number().int().min(1, 'is the number of a key point, counting from 1'), z.array(z.number().int().min(1, 'is the number of a key point, counting from 1')).min(1)]),
    correction: text,
  })
  .refine((k) => k.terms !== undefined || k.near !== undefined, { message: 'needs terms or near (or both)' });

const openSchema = z.strictObject({
  id: idSchema,
  type: z.enum(['interview', 'exercise']),
  section: text,
  difficulty,
  prompt: text,
  modelAnswer: text,
  keyPoints: z.array(keyPointSchema).min(1, 'needs at least one key point'),
  misconceptions: z.array(misconceptionSchema).optional(),
  passMark: z.number().int().min(1).max(100).optional(),
  references: z
    .strictObject({
      pass: z.array(text).default([]),
      fail: z.array(text).default([]),
    })
    .optional(),
  retired: z.boolean().optional(),
});

const ITEM_TYPES = ['mcq', 'interview', 'exercise'] as const;

const packSchema = z.strictObject({
  pack: idSchema,
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
  /** Kept for its history but no longer asked. */
  retired?: boolean;
}

/** A key point an open answer should cover. */
export interface KeyPoint {
  /** What the point is, shown in feedback. */
  point: string;
  /** Its weight in the coverage score. */
  weight: number;
  /** Words and phrases any of which shows the point was covered. */
  terms?: string[];
  /** Word sets that show the point when all their words occur within 6 words of each other. */
  near?: string[][];
  /** The point is about an absence ("no OS boots"): only negated matches count. */
  negated?: boolean;
}

/** A wrong belief an answer may state, and what is true instead. */
export interface Misconception {
  /** The wrong belief, shown in feedback. */
  claim: string;
  /** Words and phrases that state it. */
  terms?: string[];
  /** Word sets that state it when close together. */
  near?: string[][];
  /** Indexes (0-based) of the key points it contradicts; stating it takes their credit. */
  contradicts: number[];
  /** One sentence saying what is true. */
  correction: string;
}

/** Calibration answers kept with an item: these must pass, those must not. */
export interface References {
  /** Answers that must pass. */
  pass: string[];
  /** Answers that must not pass. */
  fail: string[];
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
  /** Wrong beliefs recognised in answers. */
  misconceptions: Misconception[];
  /** Percentage of the weighted key points needed to pass (default 60). */
  passMark: number;
  /** Calibration answers, checked by quiz:lint. */
  references?: References;
  /** Kept for its history but no longer asked. */
  retired?: boolean;
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

/** zod's own wording ("Too small: expected array to have >=1 items"); replaced by plain words. */
const ZOD_WORDING = /^(Too (small|big)|Invalid (input|option|string|key|element)|Expected|Unrecognized)/;

function plural(n: number | bigint, one: string): string {
  return `${n} ${one}${Number(n) === 1 ? '' : 's'}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
};

function issueMessage(issue: z.core.$ZodIssue, root: unknown): string {
  const v = valueAt(root, issue.path);
  if (issue.code === 'invalid_type') {
    const want = TYPE_WORDS[issue.expected] ?? issue.expected;
    if (v === undefined) return `is missing (it should be ${want})`;
    if (issue.expected === 'string' && (typeof v === 'number' || typeof v === 'boolean' || v === null)) {
      return `YAML read this as ${describe(v)} (${String(v)}), not text; put it in quotes`;
    }
    return `should be ${want}, not ${describe(v)}${typeof v === 'number' ? ` (${v})` : ''}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  // zod says only "Invalid key in record"; the rule the key broke is in the nested issue.
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (!ZOD_WORDING.test(issue.message)) return issue.message;
  if (issue.code === 'too_small') {
    if (issue.origin === 'array') return `needs at least ${plural(issue.minimum, 'entry')}`.replace('entrys', 'entries');
    if (issue.origin === 'string') return 'must not be empty';
    return `must be at least ${issue.minimum}${typeof v === 'number' ? `, not ${v}` : ''}`;
  }
  if (issue.code === 'too_big') {
    if (issue.origin === 'array') return `may have at most ${plural(issue.maximum, 'entry')}`.replace('entrys', 'entries');
    return `must be at most ${issue.maximum}${typeof v === 'number' ? `, not ${v}` : ''}`;
  }
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}${v !== undefined ? `, not ${JSON.stringify(v)}` : ''}`;
  return `is not valid here (${describe(v)})`;
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

function termHasCue(t: string): boolean {
  return tokenize(t).some((w) => NEGATION_CUES.has(w.stem));
}

/** Validates the text of one pack file; `file` is used in error messages. */
export function parsePack(source: string, file: string): PackResult {
  const name = basename(file);
  const errors: PackError[] = [];
  const doc = yaml().parseDocument(source, { uniqueKeys: true, prettyErrors: true, version: '1.2' });
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

  // Every problem of the file in one run: the head and each item are checked even when another part failed.
  const top = packSchema.safeParse(raw);
  if (!top.success) {
    for (const i of top.error.issues) {
      if (i.path[0] === 'items' && i.path.length > 1) continue;
      errors.push({ file: name, field: issueField(i), message: issueMessage(i, raw) });
    }
  }
  const rawHead = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const rawItems = Array.isArray(rawHead.items) ? (rawHead.items as unknown[]) : [];
  const sections = top.success ? top.data.sections : rawHead.sections && typeof rawHead.sections === 'object' ? (rawHead.sections as Record<string, unknown>) : null;
  const items: PackItem[] = [];
  const seen = new Map<string, number>();
  rawItems.forEach((rawItem, index) => {
    const id = itemIdOf(rawItem);
    const at = (field?: string): Pick<PackError, 'file' | 'itemId' | 'field'> => ({
      file: name,
      itemId: id ?? `#${index + 1}`,
      field,
    });
    // Duplicates first, from the raw id: an invalid item still takes its id.
    if (id !== undefined) {
      const before = seen.get(id);
      if (before !== undefined) errors.push({ ...at('id'), message: `duplicate id; item #${before + 1} already uses it` });
      else seen.set(id, index);
    }
    if (rawItem === null || typeof rawItem !== 'object' || Array.isArray(rawItem)) {
      errors.push({ ...at(), message: `an item should be a map of fields (id, type, ...), not ${describe(rawItem)}` });
      return;
    }
    const type = (rawItem as { type?: unknown }).type;
    if (type === undefined) {
      errors.push({ ...at('type'), message: `is missing; use ${ITEM_TYPES.join(', ')}` });
      return;
    }
    if (!ITEM_TYPES.includes(type as (typeof ITEM_TYPES)[number])) {
      errors.push({ ...at('type'), message: `unknown item type ${typeof type === 'string' ? type : JSON.stringify(type)}; use ${ITEM_TYPES.join(', ')}` });
      return;
    }
    const section = (rawItem as { section?: unknown }).section;
    if (sections && typeof section === 'string' && section.trim() && !(section in sections)) {
      errors.push({ ...at('section'), message: `unknown section "${section}"; sections are ${Object.keys(sections).join(', ')}` });
    }
    if (type === 'mcq') {
      const parsed = mcqSchema.safeParse(rawItem);
      if (!parsed.success) {
        for (const i of parsed.error.issues) errors.push({ ...at(issueField(i)), message: issueMessage(i, rawItem) });
        return;
      }
      const it = parsed.data;
      const answer = CHOICE_LETTERS.indexOf(it.answer as (typeof CHOICE_LETTERS)[number]);
      const inRange = answer >= 0 && answer < it.choices.length;
      if (!inRange) {
        errors.push({
          ...at('answer'),
          message: `"${it.answer}" is out of range: the item has ${it.choices.length} choices (A-${CHOICE_LETTERS[it.choices.length - 1]})`,
        });
      }
      const texts = new Map<string, number>();
      it.choices.forEach((c, ci) => {
        const key = c.text.toLowerCase().replace(/\s+/g, ' ');
        const prev = texts.get(key);
        if (prev !== undefined) errors.push({ ...at(`choices[${ci}].text`), message: `duplicate choice; same as choice ${CHOICE_LETTERS[prev]}` });
        else texts.set(key, ci);
        if (inRange && ci !== answer && !c.why) errors.push({ ...at(`choices[${ci}].why`), message: 'a wrong choice needs "why" (why it is wrong)' });
      });
      if (inRange) items.push({ ...it, answer });
      return;
    }
    const parsed = openSchema.safeParse(rawItem);
    if (!parsed.success) {
      for (const i of parsed.error.issues) errors.push({ ...at(issueField(i)), message: issueMessage(i, rawItem) });
      return;
    }
    const it = parsed.data;
    const misconceptions: Misconception[] = [];
    (it.misconceptions ?? []).forEach((m, mi) => {
      const nums = Array.isArray(m.contradicts) ? m.contradicts : [m.contradicts];
      for (const n of nums) {
        if (n > it.keyPoints.length) {
          errors.push({ ...at(`misconceptions[${mi}].contradicts`), message: `there is no key point ${n}; the item has ${plural(it.keyPoints.length, 'key point')} (1-${it.keyPoints.length})` });
        }
      }
      misconceptions.push({ ...m, contradicts: nums.map((n) => n - 1) });
    });
    it.keyPoints.forEach((k, ki) => {
      if (!k.negated) return;
      for (const t of [...(k.terms ?? []), ...(k.near ?? []).flat()]) {
        if (termHasCue(t)) errors.push({ ...at(`keyPoints[${ki}]`), message: `"${t}" carries its own negation; a negated point counts negated matches, so write the term without it` });
      }
    });
    items.push({ ...it, misconceptions, passMark: it.passMark ?? DEFAULT_PASS_MARK });
  });
  if (errors.length > 0 || !top.success) return { ok: false, errors };
  const head = top.data;
  return {
    ok: true,
    pack: { id: head.pack, title: head.title, chapter: head.chapter, source: head.source, sections: head.sections, items, file: name },
  };
}

/** Reads and validates one pack file, refusing files over 1 MB before reading them; `parse` turns its text into a pack. */
export function loadPackFile(path: string, parse: (source: string, file: string) => PackResult = parsePack): PackResult {
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
  return parse(readFileSync(path, 'utf8'), path);
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
 * `parse` turns a file's text into a pack (parsePack; the compiled start first looks for the build's result).
 */
export function loadPacks(dir: string, parse: (source: string, file: string) => PackResult = parsePack): PackCatalog {
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
    const r = loadPackFile(join(dir, f), parse);
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

/** The multiple-choice items of a pack that are still asked (retired ones keep only their history). */
export function mcqItems(pack: Pack): McqItem[] {
  return pack.items.filter((i): i is McqItem => i.type === 'mcq' && !i.retired);
}

/** The interview and exercise items of a pack that are still asked. */
export function openItems(pack: Pack): OpenItem[] {
  return pack.items.filter((i): i is OpenItem => i.type !== 'mcq' && !i.retired);
}

/** Finds an item by id. */
export function findItem(pack: Pack, id: string): PackItem | undefined {
  return pack.items.find((i) => i.id === id);
}
