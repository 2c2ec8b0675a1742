import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Node as YamlNode } from 'yaml';
import { yaml } from './lazy-yaml.ts';
import { z } from 'zod';
import { clipInput } from '../core/errors.ts';
import { postgresUrlProblem } from './database-url.ts';
import { closest, parseDuration } from '../core/parser.ts';
import type { Role } from '../core/roles.ts';
import { ROLES } from '../core/roles.ts';
import { queueUrlSchema, routesSchema, watchSchema } from '../watcher/config.ts';

/** Raised when config is invalid: one line per bad field, secrets never included. */
export class ConfigError extends Error {
  /** One line per problem: where, what was given, what is allowed. */
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Env variables whose values are secrets: never echoed, not even in errors. */
export const SECRET_ENV = new Set([
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'DISCORD_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
  // It carries the database password.
  'DATABASE_URL',
]);

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const durationString = z.string().refine((s) => parseDuration(s) !== undefined, { message: 'expected a duration such as 30s, 15m or 2h' });
/** A confirmation needs time to be read and pressed, and chat platforms stop accepting the press within a day. */
const expiryString = durationString.refine(
  (s) => {
    const ms = parseDuration(s);
    return ms === undefined || (ms >= 5_000 && ms <= 86_400_000);
  },
  { message: 'expected a duration from 5s to 1d, such as 2m' },
);
const roleEnum = z.enum(ROLES);
const userRef = z.string().regex(/^(slack|discord|console):[^\s,]+$/, { message: 'expected platform:user-id, such as slack:U0123ABC or discord:81234567890' });

const countMsg = { error: 'expected a whole number of tasks from 0 to 10000' };
const guardrailCount = z.int(countMsg).min(0, countMsg).max(10_000, countMsg);

/** The optional YAML file's shape; unknown keys are errors so typos do not pass silently. */
export const fileSchema = z.strictObject({
  roles: z
    .strictObject({
      default: roleEnum.optional(),
      admins: z.array(userRef).optional(),
      operators: z.array(userRef).optional(),
      viewers: z.array(userRef).optional(),
      slackGroups: z.record(z.string(), roleEnum).optional(),
      discordRoles: z.record(z.string(), roleEnum).optional(),
    })
    .optional(),
  confirm: z
    .strictObject({
      expireAfter: expiryString.optional(),
      operatorsMayConfirm: z.boolean().optional(),
    })
    .optional(),
  approval: z
    .strictObject({
      // How long a two-person request waits for the second person (default 30m).
      expireAfter: expiryString.optional(),
    })
    .optional(),
  clusters: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'expected an ECS cluster name (letters, digits, - and _)' }),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected an AWS region such as us-east-1' }).optional(),
        alias: z.string().max(64).optional(),
        // Every change on this cluster needs its Confirm from another operator or admin than the caller.
        approval: z.enum(['second-operator']).optional(),
      }),
    )
    .min(1)
    .optional(),
  deploy: z
    .strictObject({
      // ECR's finding severities; an image with findings at any of these is refused unless an admin forces it.
      blockOn: z.array(z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'])).optional(),
    })
    .optional(),
  guardrails: z
    .record(
      z.string(),
      // max defaults to 50 where it is left out, so a lone min above 50 would refuse every scale.
      z.strictObject({ min: guardrailCount.optional(), max: guardrailCount.optional() }).superRefine((g, ctx) => {
        if ((g.min ?? 0) <= (g.max ?? 50)) return;
        ctx.addIssue({
          code: 'custom',
          message: g.max === undefined ? `min must not be above max, which is 50 when left out; set max too` : `min (${g.min ?? 0}) must not be above max (${g.max})`,
        });
      }),
    )
    .optional(),
  slack: z
    .strictObject({
      commands: z.record(z.string(), z.string().regex(/^\/[a-z0-9_-]{1,31}$/, { message: 'expected a slash command such as /ecs' })).optional(),
      socketMode: z.boolean().optional(),
    })
    .optional(),
  watch: watchSchema.optional(),
  routes: routesSchema.optional(),
});

/** The YAML file after validation. */
export type FileConfig = z.infer<typeof fileSchema>;

const speedMsg = { error: 'expected a number from 0.1 to 10000 (how many times faster than real time the sandbox runs)' };
const speed = z.coerce.number(speedMsg).min(0.1, speedMsg).max(10_000, speedMsg);

/** The environment variables dockhand reads, validated. */
export const envSchema = z.object({
  DOCKHAND_CONFIG: z.string().optional(),
  DOCKHAND_DB: z.string().min(1).default('./data/dockhand.db'),
  // PostgreSQL for replicas; when set it wins over DOCKHAND_DB.
  DATABASE_URL: z
    .string()
    .superRefine((v, ctx) => {
      // Empty reads as unset, as in a compose file's `DATABASE_URL=` line.
      const problem = v === '' ? undefined : postgresUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  DOCKHAND_USER: z.string().min(1).optional(),
  // Another folder of quiz packs (a team's own questions, or a pack under review) instead of the shipped quizzes/.
  DOCKHAND_QUIZZES: z
    .string()
    .min(1, { error: 'expected the path of a folder of quiz packs (*.yaml)' })
    .refine((p) => isFolder(p), { message: 'no folder is there; expected the path of a folder of quiz packs (*.yaml), such as ./quizzes' })
    .optional(),
  DOCKHAND_ADMINS: z.string().optional(),
  DOCKHAND_OPERATORS: z.string().optional(),
  DOCKHAND_BACKEND: z.enum(['aws', 'sandbox']).optional(),
  DOCKHAND_SANDBOX_SPEED: speed.optional(),
  DOCKHAND_CLUSTERS: z.string().regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, { message: 'expected comma-separated cluster names' }).optional(),
  DOCKHAND_WATCH_EVERY: z
    .string()
    .refine((v) => (parseDuration(v) ?? 0) >= 5_000, { message: 'expected a duration of at least 5s, such as 30s or 1m' })
    .optional(),
  DOCKHAND_EVENTS_QUEUE_URL: queueUrlSchema.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  AWS_PROFILE: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, { message: 'expected a bot token starting with xoxb-' }).optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, { message: "expected the Signing Secret from the Slack app's Basic Information page (at least 8 characters)" }).optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, { message: 'expected an app-level token starting with xapp-' }).optional(),
  SLACK_API_URL: z.url({ error: 'expected a URL such as https://slack.com/api/' }).optional(),
  HEALTH_PORT: z.coerce.number({ error: 'expected a TCP port from 1 to 65535' }).int({ error: 'expected a TCP port from 1 to 65535' }).min(1, { error: 'expected a TCP port from 1 to 65535' }).max(65_535, { error: 'expected a TCP port from 1 to 65535' }).optional(),
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_API_URL: z.url({ error: 'expected a URL such as https://discord.com/api (without /v10)' }).refine((u) => !/\/v\d+\/?$/.test(u), { message: 'expected the API base without the version, such as http://127.0.0.1:8080/api (discord.js adds /v10)' }).optional(),
  DISCORD_APPLICATION_ID: z.string().regex(/^\d{17,20}$/, { message: 'expected the application id from the Developer Portal (17-20 digits)' }).optional(),
  PORT: z.coerce.number({ error: 'expected a TCP port from 1 to 65535' }).int({ error: 'expected a TCP port from 1 to 65535' }).min(1, { error: 'expected a TCP port from 1 to 65535' }).max(65_535, { error: 'expected a TCP port from 1 to 65535' }).default(3000),
});

/** The environment after validation. */
export type EnvConfig = z.infer<typeof envSchema>;

/** Everything dockhand was configured with. */
export interface Config {
  /** Validated environment variables. */
  env: EnvConfig;
  /** The YAML file's content (empty when there is none). */
  file: FileConfig;
  /** The YAML file read, if any. */
  filePath: string | undefined;
  /** Explicit role grants by `platform:user-id`. */
  userRoles: Map<string, Role>;
  /** Which AWS backend to use. */
  backend: 'aws' | 'sandbox';
  /** The endpoint an `AWS_ENDPOINT_URL*` variable points the AWS backend at, if one does. */
  awsEndpoint?: { variable: string; url: string };
}

/** The first `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_<SERVICE>` set, which the SDK sends calls to instead of AWS. */
export function endpointFromEnv(env: NodeJS.ProcessEnv): { variable: string; url: string } | undefined {
  const names = Object.keys(env)
    .filter((k) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(k) && env[k])
    .sort();
  const variable = names[0];
  return variable ? { variable, url: env[variable]! } : undefined;
}

function describeGiven(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (typeof input === 'string') return `'${clipInput(input)}'`;
  const s = JSON.stringify(input);
  return s === undefined ? String(input) : clipInput(s);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function valueAt(source: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = source;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The keys an object in the schema allows at a path, to suggest one for a misspelt key. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  const unwrap = (n: z.ZodType): z.ZodType => (n instanceof z.ZodOptional || n instanceof z.ZodDefault ? unwrap(n.unwrap() as z.ZodType) : n);
  for (const p of path) {
    if (!node) return [];
    const n = unwrap(node);
    if (n instanceof z.ZodObject) node = (n.shape as Record<string, z.ZodType>)[String(p)];
    else if (n instanceof z.ZodArray) node = n.element as z.ZodType;
    else if (n instanceof z.ZodRecord) node = n.valueType as z.ZodType;
    else return [];
  }
  const last = node ? unwrap(node) : undefined;
  return last instanceof z.ZodObject ? Object.keys(last.shape) : [];
}

/** The words for a type the schema expected, as the parser says them. */
const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
};

/**
 * What was allowed, in the parser's voice. Messages written in the schema are kept; zod's own
 * wording ("Too small: expected string to have >=8 characters") is rewritten from the issue's facts.
 */
function allowed(i: z.core.$ZodIssue): string {
  const own = !/^(Invalid|Too (small|big)|Unrecognized|expected \w+, received)/.test(i.message);
  if (own) return i.message;
  const n = (v: unknown): string => (typeof v === 'bigint' || typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
  switch (i.code) {
    case 'invalid_type':
      return `expected ${TYPE_WORDS[i.expected] ?? i.expected}`;
    case 'too_small':
      if (i.origin === 'string') return `expected at least ${n(i.minimum)} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `expected at least ${n(i.minimum)} entr${i.minimum === 1 ? 'y' : 'ies'}`;
      return `expected ${Number.isInteger(Number(i.minimum)) && i.origin === 'int' ? 'a whole number' : 'a number'} of at least ${n(i.minimum)}`;
    case 'too_big':
      if (i.origin === 'string') return `expected at most ${n(i.maximum)} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `expected at most ${n(i.maximum)} entries`;
      return `expected a number of at most ${n(i.maximum)}`;
    case 'invalid_value':
      return `expected one of ${i.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return `expected ${i.format === 'url' ? 'a URL' : `text in ${i.format} format`}`;
    default:
      return 'expected a different value (see dockhand.example.yaml)';
  }
}

function issuesToLines(where: string, issues: readonly z.core.$ZodIssue[], source: unknown, secretKeys: Set<string> = new Set(), schema?: z.ZodType): string[] {
  // One line per field: the first problem found is the one to fix; a second about the same value only repeats it.
  const seen = new Set<string>();
  const firstPerField = issues.filter((i) => {
    const key = i.code === 'unrecognized_keys' ? `${formatPath(i.path)}:${i.keys.join(',')}` : formatPath(i.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return firstPerField.map((i) => {
    const path = formatPath(i.path);
    const top = String(i.path[0] ?? '');
    const secret = secretKeys.has(top);
    if (i.code === 'unrecognized_keys') {
      const known = schema ? keysAt(schema, i.path) : [];
      const near = i.keys.length === 1 ? closest(i.keys[0]!, known) : undefined;
      return `${where}${path ? ` ${path}` : ''}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}; ${near ? `did you mean '${near}'?` : 'check the spelling'} (see dockhand.example.yaml)`;
    }
    const given = secret ? '<hidden>' : describeGiven(valueAt(source, i.path));
    return `${where} ${path || '(root)'}: got ${given}, ${allowed(i)}`;
  });
}

/**
 * A YAML syntax error as one line a user can act on: where, what the parser said, and the
 * offending line itself, so the fix does not need an editor's line numbers.
 */
function yamlProblem(label: string, source: string, e: unknown): string {
  const err = e as Error & { linePos?: Array<{ line: number; col: number }> };
  const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = err.linePos?.[0];
  if (!pos) return `${label}: not valid YAML: ${what}`;
  const lines = source.split(/\r?\n/);
  // The parser often notices a problem on the line after it (an unclosed bracket): show the last non-empty line up to there.
  const text = (lines[pos.line - 1] ?? '').trim() ? lines[pos.line - 1]! : (lines.slice(0, pos.line).reverse().find((l) => l.trim()) ?? '');
  return `${label} line ${pos.line}, column ${pos.col}: not valid YAML: ${what} — the line reads: ${clipInput(text.trim(), 80)}`;
}

/** Parses `slack:U1,discord:2` lists into role grants, collecting problems. */
function parseGrants(value: string | undefined, role: Role, into: Map<string, Role>, where: string, problems: string[]): void {
  if (!value) return;
  for (const raw of value.split(',')) {
    const ref = raw.trim();
    if (!ref) continue;
    if (!/^(slack|discord|console):[^\s]+$/.test(ref)) {
      problems.push(`env ${where}: got '${ref}', expected platform:user-id entries such as slack:U0123ABC,discord:81234567890`);
      continue;
    }
    const prev = into.get(ref);
    if (!prev || ROLES.indexOf(role) > ROLES.indexOf(prev)) into.set(ref, role);
  }
}

/**
 * Discord ids are 17-20 digits: unquoted in YAML they become numbers past 2^53 and silently lose
 * digits. Finds every number where a Discord id belongs (role keys of roles.discordRoles, routes'
 * discord channels and mention) and says to quote it, quoting the digits as written.
 */
export function unquotedDiscordIds(source: string, label: string): { problems: string[]; paths: string[] } {
  const problems: string[] = [];
  const paths: string[] = [];
  const { isMap, isScalar, isSeq, parseDocument } = yaml();
  let doc;
  try {
    doc = parseDocument(source, { uniqueKeys: true });
  } catch {
    return { problems, paths };
  }
  const written = (n: YamlNode): string => (n.range ? source.slice(n.range[0], n.range[1]).trim() : String((n as { value?: unknown }).value));
  const check = (n: unknown, path: string): void => {
    if (isScalar(n) && typeof n.value === 'number') {
      paths.push(path);
      const digits = written(n);
      problems.push(`${label} ${path}: got ${digits} unquoted, which YAML reads as a number${Number.isSafeInteger(n.value) ? '' : ` (${String(n.value)}, digits lost)`}; Discord ids must be quoted, such as "${digits}"`);
    }
  };
  const roles = doc.getIn(['roles', 'discordRoles'], true);
  if (isMap(roles)) for (const item of roles.items) check(item.key, 'roles.discordRoles');
  const routes = doc.get('routes', true);
  if (isSeq(routes)) {
    routes.items.forEach((r, i) => {
      if (!isMap(r)) return;
      const ch = r.get('discord', true);
      if (isSeq(ch)) {
        ch.items.forEach((x, j) => check(x, `routes[${i}].discord[${j}]`));
        // The list as a whole then fails the schema too; that line would say the same thing again.
        if (paths.some((p) => p.startsWith(`routes[${i}].discord[`))) paths.push(`routes[${i}].discord`);
      }
      else check(ch, `routes[${i}].discord`);
      const mention = r.get('mention', true);
      if (isMap(mention)) check(mention.get('discord', true), `routes[${i}].mention.discord`);
    });
  }
  return { problems, paths };
}

/**
 * Reads and validates env and the optional YAML file. Throws ConfigError listing
 * every bad field at once (so a user fixes them in one go).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const envResult = envSchema.safeParse(env, { reportInput: true });
  if (!envResult.success) problems.push(...issuesToLines('env', envResult.error.issues, env, SECRET_ENV));
  const explicitPath = env.DOCKHAND_CONFIG;
  const filePath = explicitPath ? resolve(cwd, explicitPath) : existsSync(resolve(cwd, 'dockhand.yaml')) ? resolve(cwd, 'dockhand.yaml') : undefined;
  let file: FileConfig = {};
  if (filePath) {
    const label = explicitPath ?? 'dockhand.yaml';
    if (!existsSync(filePath)) {
      problems.push(`env DOCKHAND_CONFIG: got '${explicitPath}', but no file is there; expected the path of a YAML config file`);
    } else {
      const source = readFileSync(filePath, 'utf8');
      try {
        const data: unknown = yaml().parse(source, { uniqueKeys: true }) ?? {};
        const ids = unquotedDiscordIds(source, label);
        problems.push(...ids.problems);
        const r = fileSchema.safeParse(data, { reportInput: true });
        if (r.success) file = r.data;
        else {
          // A number where a Discord id belongs is said once, by the check above.
          const lines = issuesToLines(label, r.error.issues, data, new Set(), fileSchema);
          problems.push(...lines.filter((l) => !ids.paths.some((p) => l.startsWith(`${label} ${p}:`) || l.startsWith(`${label} ${p.replace(/\[(\d+)\]/g, '.$1')}`))));
        }
      } catch (e) {
        problems.push(yamlProblem(label, source, e));
      }
    }
  }
  if (problems.length > 0 || !envResult.success) throw new ConfigError(problems);
  const e = envResult.data;
  const userRoles = new Map<string, Role>();
  for (const r of ['viewer', 'operator', 'admin'] as const) {
    const list = r === 'admin' ? file.roles?.admins : r === 'operator' ? file.roles?.operators : file.roles?.viewers;
    for (const ref of list ?? []) userRoles.set(ref, r);
  }
  parseGrants(e.DOCKHAND_OPERATORS, 'operator', userRoles, 'DOCKHAND_OPERATORS', problems);
  parseGrants(e.DOCKHAND_ADMINS, 'admin', userRoles, 'DOCKHAND_ADMINS', problems);
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    problems.push('env SLACK_SIGNING_SECRET: got nothing, but SLACK_BOT_TOKEN is set; Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)');
  }
  if ((e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN) && !e.SLACK_BOT_TOKEN) {
    problems.push('env SLACK_BOT_TOKEN: got nothing, but other SLACK_* settings are set; expected the bot token (xoxb-...) from the Slack app\'s OAuth page');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // An AWS_ENDPOINT_URL* says where AWS is (the sandbox CLI, moto, LocalStack): starting a second, embedded sandbox would ignore it.
  const awsEndpoint = endpointFromEnv(env);
  const awsConfigured = Boolean(e.AWS_REGION || e.AWS_DEFAULT_REGION || e.AWS_PROFILE || e.AWS_ACCESS_KEY_ID || awsEndpoint);
  const backend = e.DOCKHAND_BACKEND ?? (awsConfigured ? 'aws' : 'sandbox');
  // The embedded sandbox has its own events queue; AWS (or an endpoint of its own) needs the URL.
  if (file.watch?.source === 'events' && backend === 'aws' && !e.DOCKHAND_EVENTS_QUEUE_URL && !file.watch.queueUrl) {
    throw new ConfigError([
      `${explicitPath ?? 'dockhand.yaml'} watch.source: got 'events', but no queue is named; expected watch.queueUrl (or env DOCKHAND_EVENTS_QUEUE_URL): the URL of the SQS queue the EventBridge rule for ECS Task State Change sends to`,
    ]);
  }
  return { env: e, file, filePath, userRoles, backend, ...(awsEndpoint && backend === 'aws' ? { awsEndpoint } : {}) };
}
