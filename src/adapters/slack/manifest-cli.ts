/**
 * `npm run slack:manifest -- [--socket | --url https://host] [--json] [--name dockhand]`
 * prints the Slack app manifest built from dockhand's config (slash command names, user-group roles).
 */
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { commands } from '../../../commands/index.ts';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { buildManifest } from './manifest.ts';

const USAGE = `usage: npm run slack:manifest -- [--socket | --url https://your.host] [--json] [--name dockhand]
  --socket     Socket Mode: no public URL needed (needs SLACK_APP_TOKEN with connections:write)
  --url URL    HTTP mode: the public base URL; Slack calls URL/slack/events
  --json       print JSON instead of YAML
  --name NAME  the app's name in Slack, up to 35 characters (default dockhand); the bot's
               name is made of its lower-case letters, digits, -, _ and .
Without --socket or --url, the mode comes from config: slack.socketMode in dockhand.yaml, else HTTP when only SLACK_SIGNING_SECRET is set, else Socket Mode.`;

/** Runs the CLI; returns the exit code. */
export function runManifestCli(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): number {
  let socket: boolean | undefined;
  let url: string | undefined;
  let json = false;
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--socket') socket = true;
    else if (a === '--json') json = true;
    else if (a === '--url' || a === '--name') {
      const v = argv[++i];
      if (!v) {
        err(`${a} needs a value\n${USAGE}\n`);
        return 2;
      }
      if (a === '--url') url = v;
      else name = v;
    } else if (a === '--help' || a === '-h') {
      out(`${USAGE}\n`);
      return 0;
    } else {
      err(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  if (socket && url !== undefined) {
    err(`--socket and --url ask for two different apps: Socket Mode needs no URL, HTTP needs one; give one of them\n${USAGE}\n`);
    return 2;
  }
  if (url !== undefined && !/^https:\/\/[^\s/]+/i.test(url)) {
    err(`--url: got '${url}', expected a public https base URL such as https://dockhand.example.com (Slack calls request URLs over https only)\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`dockhand: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const slack = config.file.slack;
  // With nothing said, Socket Mode: it needs no public URL, so the manifest works as printed.
  const socketMode = socket ?? (url ? false : (slack?.socketMode ?? (config.env.SLACK_APP_TOKEN ? true : !config.env.SLACK_SIGNING_SECRET)));
  try {
    const manifest = buildManifest({
      socketMode,
      ...(url ? { publicUrl: url } : {}),
      ...(name ? { appName: name } : {}),
      ...(slack?.commands ? { commands: slack.commands } : {}),
      userGroups: Object.keys(config.file.roles?.slackGroups ?? {}).length > 0,
      definitions: commands,
    });
    out(json ? `${JSON.stringify(manifest, null, 2)}\n` : stringify(manifest));
    return 0;
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = runManifestCli(process.argv.slice(2), process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
}
