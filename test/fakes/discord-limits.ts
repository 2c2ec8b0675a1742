/**
 * What Discord refuses, as the stand-in checks it. Each rule names the page of Discord's developer
 * documentation that states it. A refusal is a 50035 Invalid Form Body (or the specific code),
 * returned as Discord returns it.
 */

/** A Discord JSON error: `{ code, message, errors? }` with its HTTP status. */
export interface DiscordRefusal {
  status: number;
  code: number;
  message: string;
}

const invalid = (message: string): DiscordRefusal => ({ status: 400, code: 50035, message: `Invalid Form Body: ${message}` });

interface Embed {
  title?: unknown;
  description?: unknown;
  fields?: Array<{ name?: unknown; value?: unknown }>;
  footer?: { text?: unknown };
  author?: { name?: unknown };
}

const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);

/**
 * Checks a message body (create, edit, interaction response, webhook follow-up); null when Discord would accept it.
 * `edit` allows a body without content/embeds/components (an edit may change only some of them).
 */
export function checkMessage(body: Record<string, unknown>, opts: { edit?: boolean } = {}): DiscordRefusal | null {
  // https://discord.com/developers/docs/resources/message#create-message — content up to 2000 characters.
  if (typeof body.content === 'string' && body.content.length > 2000) return invalid('content: Must be 2000 or fewer in length.');
  const embeds = (body.embeds ?? []) as Embed[];
  // Same page: up to 10 embeds.
  if (!Array.isArray(embeds) || embeds.length > 10) return invalid('embeds: Must be 10 or fewer in length.');
  let total = 0;
  for (const [i, e] of embeds.entries()) {
    // https://discord.com/developers/docs/resources/message#embed-object-embed-limits
    if (len(e.title) > 256) return invalid(`embeds.${i}.title: Must be 256 or fewer in length.`);
    if (len(e.description) > 4096) return invalid(`embeds.${i}.description: Must be 4096 or fewer in length.`);
    if ((e.fields ?? []).length > 25) return invalid(`embeds.${i}.fields: Must be 25 or fewer in length.`);
    for (const [j, f] of (e.fields ?? []).entries()) {
      if (len(f.name) === 0 || len(f.name) > 256) return invalid(`embeds.${i}.fields.${j}.name: Must be between 1 and 256 in length.`);
      if (len(f.value) === 0 || len(f.value) > 1024) return invalid(`embeds.${i}.fields.${j}.value: Must be between 1 and 1024 in length.`);
      total += len(f.name) + len(f.value);
    }
    if (len(e.footer?.text) > 2048) return invalid(`embeds.${i}.footer.text: Must be 2048 or fewer in length.`);
    total += len(e.title) + len(e.description) + len(e.footer?.text) + len(e.author?.name);
  }
  // Embed limits: "the combined sum of characters in all title, description, field.name, field.value,
  // footer.text, and author.name fields across all embeds attached to a message must not exceed 6000".
  if (total > 6000) return invalid('embeds: Embed size exceeds maximum size of 6000');
  const rows = (body.components ?? []) as Array<{ type?: unknown; components?: Array<Record<string, unknown>> }>;
  // https://discord.com/developers/docs/components/reference#action-row — up to 5 rows of up to 5 buttons.
  if (!Array.isArray(rows) || rows.length > 5) return invalid('components: Must be 5 or fewer in length.');
  const ids = new Set<string>();
  for (const [i, row] of rows.entries()) {
    if (row.type !== 1) return invalid(`components.${i}.type: Value must be one of {1}.`);
    const comps = row.components ?? [];
    if (comps.length === 0 || comps.length > 5) return invalid(`components.${i}.components: Must be between 1 and 5 in length.`);
    for (const [j, c] of comps.entries()) {
      // https://discord.com/developers/docs/components/reference#button — label 80, custom_id 1–100, unique per message.
      if (c.type !== 2) return invalid(`components.${i}.components.${j}.type: only buttons are expected here.`);
      if (len(c.label) > 80) return invalid(`components.${i}.components.${j}.label: Must be 80 or fewer in length.`);
      const id = c.custom_id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 100) return invalid(`components.${i}.components.${j}.custom_id: Must be between 1 and 100 in length.`);
      if (ids.has(id)) return invalid(`components.${i}.components.${j}.custom_id: Component custom id cannot be duplicated`);
      ids.add(id);
      if (![1, 2, 3, 4].includes(c.style as number)) return invalid(`components.${i}.components.${j}.style: Value must be one of {1, 2, 3, 4}.`);
    }
  }
  // https://discord.com/developers/docs/resources/message#create-message — one of content, embeds, components… is required (50006).
  if (!opts.edit && !(len(body.content) > 0) && embeds.length === 0 && rows.length === 0) return { status: 400, code: 50006, message: 'Cannot send an empty message' };
  // https://discord.com/developers/docs/resources/message#create-message-jsonform-params — nonce: integer or string of up to 25 characters.
  if (typeof body.nonce === 'string' && body.nonce.length > 25) return invalid('nonce: Must be 25 or fewer in length.');
  return null;
}

/**
 * Which mentions in the content notify, per allowed_mentions
 * (https://discord.com/developers/docs/resources/message#allowed-mentions-object): without the
 * object every mention in content pings; with it only the listed kinds and ids do. Embeds never ping.
 */
export function pingsOf(body: Record<string, unknown>): string[] {
  const content = typeof body.content === 'string' ? body.content : '';
  const am = body.allowed_mentions as { parse?: string[]; roles?: string[]; users?: string[] } | undefined;
  const parse = am ? (am.parse ?? []) : ['everyone', 'roles', 'users'];
  const out: string[] = [];
  for (const m of content.matchAll(/@(everyone|here)/g)) if (parse.includes('everyone')) out.push(`@${m[1]}`);
  for (const m of content.matchAll(/<@&(\d+)>/g)) if (parse.includes('roles') || am?.roles?.includes(m[1]!)) out.push(`role:${m[1]}`);
  for (const m of content.matchAll(/<@!?(\d+)>/g)) if (parse.includes('users') || am?.users?.includes(m[1]!)) out.push(`user:${m[1]}`);
  return out;
}

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

interface CommandOption {
  type?: number;
  name?: string;
  description?: string;
  required?: boolean;
  choices?: Array<{ name?: string; value?: unknown }>;
  options?: CommandOption[];
  autocomplete?: boolean;
}

function checkName(where: string, name: unknown): DiscordRefusal | null {
  // https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-naming
  if (typeof name !== 'string' || !NAME.test(name) || name !== name.toLowerCase()) return invalid(`${where}.name: Command name is invalid`);
  return null;
}

function checkDescription(where: string, d: unknown): DiscordRefusal | null {
  // Same page: description 1-100 characters for CHAT_INPUT commands and options.
  if (typeof d !== 'string' || d.length < 1 || d.length > 100) return invalid(`${where}.description: Must be between 1 and 100 in length.`);
  return null;
}

function optionChars(o: CommandOption): number {
  return len(o.name) + len(o.description) + (o.choices ?? []).reduce((n, c) => n + len(c.name) + String(c.value ?? '').length, 0) + (o.options ?? []).reduce((n, x) => n + optionChars(x), 0);
}

function checkOptions(where: string, options: CommandOption[], depth: number): DiscordRefusal | null {
  // Same page: at most 25 options per level.
  if (options.length > 25) return invalid(`${where}.options: Must be 25 or fewer in length.`);
  let seenOptional = false;
  for (const [i, o] of options.entries()) {
    const w = `${where}.options.${i}`;
    const bad = checkName(w, o.name) ?? checkDescription(w, o.description);
    if (bad) return bad;
    if (o.type === 1 || o.type === 2) {
      // Subcommand groups hold subcommands; subcommands hold no further subcommands (one level of groups).
      if (o.type === 2 && depth > 0) return invalid(`${w}.type: subcommand groups may only be at the top level`);
      if (o.type === 1 && depth > 1) return invalid(`${w}.type: subcommands may be nested one group deep at most`);
      const inner = checkOptions(w, o.options ?? [], depth + 1);
      if (inner) return inner;
      continue;
    }
    // Same page: required options must be listed before optional ones.
    if (o.required && seenOptional) return invalid(`${w}.required: Required options must be placed before non-required options`);
    if (!o.required) seenOptional = true;
    if ((o.choices ?? []).length > 25) return invalid(`${w}.choices: Must be 25 or fewer in length.`);
    if (o.autocomplete && (o.choices ?? []).length > 0) return invalid(`${w}.autocomplete: Autocomplete cannot be set with choices`);
  }
  return null;
}

/** Checks one application command as registered through PUT …/commands; null when Discord would accept it. */
export function checkCommand(cmd: CommandOption, index: number): DiscordRefusal | null {
  const where = `${index}`;
  const bad = checkName(where, cmd.name) ?? checkDescription(where, cmd.description) ?? checkOptions(where, cmd.options ?? [], 0);
  if (bad) return bad;
  // Same page: "combined sum of characters … in a command, its options (including subcommands and groups), and choices" is at most 8000.
  const chars = len(cmd.name) + len(cmd.description) + (cmd.options ?? []).reduce((n, o) => n + optionChars(o), 0);
  if (chars > 8000) return invalid(`${where}: Command exceeds maximum size (8000)`);
  return null;
}
