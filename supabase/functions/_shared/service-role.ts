// Operator-only functions (and the scheduled jobs' calls): the caller must present a key the
// platform gives this function — the legacy service_role key (a JWT) or one of the new secret keys
// (`sb_secret_…`, not JWTs; hosted projects pass them as SUPABASE_SECRET_KEYS, a JSON object of
// named keys) — or a verified JWT whose role claim is service_role (claims.ts). The functions the
// schedule calls run without verify_jwt, because the edge runtime refuses a bearer that is no JWT;
// this check is theirs.
import { callerRole } from "./claims.ts";
import { HttpError } from "./errors.ts";
import { bearerToken, sameText } from "./jwt.ts";

function secretKeys(): string[] {
  const keys: string[] = [];
  const legacy = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY");
  if (legacy) keys.push(legacy);
  const raw = Deno.env.get("SUPABASE_SECRET_KEYS");
  if (raw) {
    try {
      const named = JSON.parse(raw) as unknown;
      if (named && typeof named === "object") keys.push(...Object.values(named).filter((k): k is string => typeof k === "string" && k.length > 0));
    } catch {
      console.error("SUPABASE_SECRET_KEYS is not a JSON object of keys: only the service_role key is taken");
    }
  }
  return keys;
}

const keys = secretKeys();

/** True for the project's secret or service_role key, or a verified service_role JWT; 401 for a token that is neither a key nor a valid JWT. */
export async function isServiceCaller(req: Request): Promise<boolean> {
  const token = bearerToken(req);
  if (token && keys.some((key) => sameText(key, token))) return true;
  return (await callerRole(req)) === "service_role";
}

export async function requireServiceRole(req: Request): Promise<void> {
  if (!(await isServiceCaller(req))) throw new HttpError(403, "service_role_required", "Only the service role may call this function");
}
