import type { CommandDef, SubcommandDef } from './command.ts';
import { isDirect, usageOf } from './command.ts';
import type { Block, Reply } from './reply.ts';
import { reply } from './reply.ts';
import type { Role } from './roles.ts';

/** One entry of a help list: usage in code, then what it does and an example. */
function entry(cmd: CommandDef, sub: SubcommandDef): string {
  return `\`${usageOf(cmd, sub)}\`\n    ${sub.description} — e.g. ${sub.example}`;
}

/**
 * Help for what a role may run: every command, one command, or one subcommand,
 * each with usage, a one-line description and an example. `commands` is already filtered by role.
 */
export function helpReply(role: Role, commands: readonly CommandDef[], cmd?: CommandDef, sub?: SubcommandDef): Reply {
  const blocks: Block[] = [];
  if (sub && cmd) {
    blocks.push({ kind: 'heading', text: usageOf(cmd, sub) });
    blocks.push({ kind: 'text', text: sub.description });
    const opts = sub.options.map((o) => {
      const name = o.positional ? `<${o.name}>` : `--${o.name}`;
      const limits = [
        o.choices ? `one of ${o.choices.join(', ')}` : '',
        o.min !== undefined && o.type === 'integer' ? `min ${o.min}` : '',
        o.max !== undefined && o.type === 'integer' ? `max ${o.max}` : '',
        o.required ? 'required' : '',
      ].filter(Boolean);
      return [name, o.type, o.description + (limits.length ? ` (${limits.join(', ')})` : '')];
    });
    if (opts.length) blocks.push({ kind: 'table', columns: ['Option', 'Type', 'Meaning'], rows: opts });
    blocks.push({ kind: 'context', text: `Example: ${sub.example} · needs role ${sub.role}${sub.changes ? ' · changes things' : ''}` });
    return reply(blocks, { visibility: 'ephemeral', summary: `Help for ${usageOf(cmd, sub)}` });
  }
  const list = cmd ? commands.filter((c) => c.name === cmd.name) : commands;
  blocks.push({ kind: 'heading', text: cmd ? `/${cmd.name} — ${cmd.description}` : 'What you can run' });
  if (list.length === 0) {
    blocks.push({ kind: 'text', text: cmd ? `Your role (${role}) may not run any /${cmd.name} command.` : `Your role (${role}) may not run any command.` });
  }
  for (const c of list) {
    if (!cmd) blocks.push({ kind: 'text', text: `*/${c.name}* — ${c.description}` });
    // A list rather than a table: usages with many options would stretch every row of a table.
    blocks.push({ kind: 'text', text: c.subcommands.map((s) => entry(c, s)).join('\n') });
  }
  const tail = cmd && !isDirect(cmd) ? `/${cmd.name} <subcommand> help shows one in detail.` : '/<command> help shows one command in detail.';
  blocks.push({ kind: 'context', text: `You are ${role === 'viewer' ? 'a' : 'an'} ${role}; commands your role may not run are hidden. ${tail}` });
  return reply(blocks, { visibility: 'ephemeral', summary: cmd ? `Help for /${cmd.name}` : 'dockhand help' });
}
