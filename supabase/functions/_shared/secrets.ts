// Secrets from the function's environment, refused when they protect nothing: a placeholder from
// .env.example (anywhere), or a secret committed for the local stack (anywhere but a local stack,
// i.e. when SUPABASE_URL is not on this machine or the CLI's own network).
import { HttpError } from "./errors.ts";
import { localSecrets } from "./local-secrets.ts";

const placeholder = /replace[_-]?me|change[_-]?me|placeholder|your[_-]?(secret|key)|^x+$/i;
const localHosts = new Set(["127.0.0.1", "localhost", "[::1]", "kong", "host.docker.internal"]);

/** Whether the function runs on a local stack (this repository's, or `supabase start`). */
export function onLocalStack(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): boolean {
  try {
    return localHosts.has(new URL(env("SUPABASE_URL") ?? "").hostname);
  } catch {
    return false;
  }
}

/** Why this value may not serve as the secret `name` here (undefined when it may). */
export function secretProblem(name: string, value: string, env?: (name: string) => string | undefined): string | undefined {
  if (placeholder.test(value)) return `${name} is a placeholder (from .env.example): set a real secret`;
  if (Object.values(localSecrets).includes(value as never) && !onLocalStack(env)) {
    return `${name} is the local stack's committed secret: set a real one for a deployed project`;
  }
  return undefined;
}

/** The secret `name`, or 503 `code` when it is missing, too short, a placeholder or a local one outside the local stack. */
export function requireSecret(name: string, code: string, minLength = 1): string {
  const value = Deno.env.get(name) ?? "";
  if (value.length < minLength) throw new HttpError(503, code, `${name}${minLength > 1 ? ` (at least ${minLength} characters)` : ""} is not set`);
  const problem = secretProblem(name, value);
  if (problem) throw new HttpError(503, code, problem);
  return value;
}
