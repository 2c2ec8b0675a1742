/**
 * `npm run discord:register -- [--guild <id>] [--dry-run]`: registers dockhand's application
 * commands with Discord (a guild's for testing: instant; global for production), built from the
 * command definitions and checked against Discord's limits first, and prints the invite URL.
 */
import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { commands } from '../../../commands/index.ts';
import { buildCommands, checkCommands, inviteUrl, RegistrationError, type CommandJson } from './registration.ts';
import { explainLoginFailure } from './transport.ts';

/** What a registration run needs. */
export interface RegisterOptions {
  /** The bot token. */
  token: string;
  /** REST base without /v10. */
  apiUrl?: string;
  /** The application id; read from GET /applications/@me when absent. */
  applicationId?: string;
  /** Register in this guild (instant) instead of globally. */
  guildId?: string;
}

/** Registers the commands; resolves with the application id and the payload sent. Throws RegistrationError before sending anything that cannot fit. */
export async function registerCommands(opts: RegisterOptions): Promise<{ applicationId: string; sent: CommandJson[] }> {
  const payload = buildCommands(commands);
  checkCommands(payload);
  const rest = new REST({ ...(opts.apiUrl ? { api: opts.apiUrl } : {}), retries: 1 }).setToken(opts.token);
  let applicationId = opts.applicationId;
  if (!applicationId) {
    try {
      applicationId = ((await rest.get(Routes.currentApplication())) as { id: string }).id;
    } catch (e) {
      throw new Error(explainLoginFailure(e, opts.apiUrl), { cause: e });
    }
  }
  const route = opts.guildId ? Routes.applicationGuildCommands(applicationId, opts.guildId) : Routes.applicationCommands(applicationId);
  await rest.put(route, { body: payload });
  return { applicationId, sent: payload };
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const g = argv.indexOf('--guild');
  const guildId = g >= 0 ? argv[g + 1] : undefined;
  const unknown = argv.filter((a, i) => a.startsWith('--') && !['--dry-run', '--guild'].includes(a) && !(i > 0 && argv[i - 1] === '--guild'));
  if (unknown.length > 0 || (g >= 0 && !/^\d{17,20}$/.test(guildId ?? ''))) {
    err(`discord:register: ${unknown.length > 0 ? `unknown option ${unknown[0]}` : `--guild needs a server id (17-20 digits), got '${guildId ?? ''}'`}; usage: npm run discord:register -- [--guild <server id>] [--dry-run]\n`);
    return 2;
  }
  try {
    if (dryRun) {
      const payload = buildCommands(commands);
      checkCommands(payload);
      out(`${JSON.stringify(payload, null, 2)}\n`);
      const app = env.DISCORD_APPLICATION_ID;
      err(`dry run: nothing was sent. ${payload.length} commands would be registered ${guildId ? `in server ${guildId}` : 'globally'}.\n`);
      if (app) err(`Invite the bot with: ${inviteUrl(app)}\n`);
      return 0;
    }
    const token = env.DISCORD_TOKEN;
    if (!token) {
      err('discord:register: DISCORD_TOKEN is not set; copy the bot token from the Developer Portal (Bot page), or use --dry-run to only print the commands\n');
      return 2;
    }
    const r = await registerCommands({ token, ...(env.DISCORD_API_URL ? { apiUrl: env.DISCORD_API_URL } : {}), ...(env.DISCORD_APPLICATION_ID ? { applicationId: env.DISCORD_APPLICATION_ID } : {}), ...(guildId ? { guildId } : {}) });
    out(`Registered ${r.sent.map((c) => `/${c.name}`).join(', ')} ${guildId ? `in server ${guildId} (available now)` : 'globally (Discord may take up to an hour to show them everywhere)'}.\n`);
    out(`Invite the bot with: ${inviteUrl(r.applicationId)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RegistrationError) {
      err(`discord:register: ${e.message}\n`);
      return 1;
    }
    err(`discord:register: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // main answers every failure with an exit code; it never rejects.
  void main(process.argv.slice(2), process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then((code) => {
    process.exitCode = code;
  });
}
