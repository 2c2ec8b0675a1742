import { SECRET_ENV } from './index.ts';

/** Shorter values are not treated as secrets to hide: replacing `1` or `abc` everywhere would mangle every log line. */
const MIN_SECRET_LENGTH = 6;

/** Every secret value this process was configured with: the secret env variables and DATABASE_URL's password. */
export function configuredSecrets(env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const name of SECRET_ENV) {
    const v = env[name];
    if (v && v.length >= MIN_SECRET_LENGTH) values.add(v);
  }
  if (env.DATABASE_URL) {
    values.add(env.DATABASE_URL);
    try {
      const password = decodeURIComponent(new URL(env.DATABASE_URL).password);
      if (password.length >= MIN_SECRET_LENGTH) values.add(password);
    } catch {
      // Not a URL: the whole value is already hidden.
    }
  }
  // Longest first, so a URL that contains a password is hidden whole rather than around it.
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * A function that hides every configured secret in a serialized log line, wherever it appears
 * (a message, an error text, a nested field), as written raw or JSON-escaped.
 */
export function secretRedactor(secrets: readonly string[]): (line: string) => string {
  const forms = secrets.flatMap((s) => {
    const escaped = JSON.stringify(s).slice(1, -1);
    return escaped === s ? [s] : [escaped, s];
  });
  if (forms.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const f of forms) if (out.includes(f)) out = out.split(f).join('<hidden>');
    return out;
  };
}
