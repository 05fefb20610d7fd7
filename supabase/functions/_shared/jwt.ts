// Verifies the caller's bearer token inside the function, as the edge runtime does before it runs one
// (verify_jwt): signature and expiry. The gateway's check alone is not enough, because a function
// reached on its own origin (not through the gateway) must not take a forged, unsigned or expired
// token at its word.
//
// Keys come from SUPABASE_JWKS, the JSON Web Key Set the edge runtime gives every function (hosted
// Supabase and `supabase functions serve` both set it): public JWKs for ES256/RS256 signing keys,
// and locally the CLI adds the project's JWT secret as an `oct` key for HS256 tokens. Hosted
// projects still signing with the legacy shared secret do not get it (Auth never publishes it), so
// there an HS256 token is accepted only if it is the project's own anon or service_role key, or if
// the Auth server itself accepts it (GET /auth/v1/user), as Supabase advises for shared secrets.
// Without keys or Auth, nothing verifies: the functions fail closed.
import { base64url, createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload } from "jose";
import { HttpError } from "./errors.ts";

/** The algorithms Supabase Auth signs with; anything else (none, HS512, ...) is refused unread. */
const algorithms = ["HS256", "ES256", "RS256"];

function keySet(): JWK[] {
  const raw = Deno.env.get("SUPABASE_JWKS");
  if (!raw) {
    console.error("SUPABASE_JWKS is not set: only the project's keys and tokens the Auth server accepts are taken");
    return [];
  }
  try {
    const parsed = JSON.parse(raw) as JSONWebKeySet | JWK[];
    const keys = Array.isArray(parsed) ? parsed : parsed.keys;
    if (Array.isArray(keys)) return keys;
  } catch {
    // reported below
  }
  console.error("SUPABASE_JWKS is not a JSON Web Key Set: only the project's keys and tokens the Auth server accepts are taken");
  return [];
}

const keys = keySet();
const secrets = keys.filter((k) => k.kty === "oct" && typeof k.k === "string");
// Each secret imported once as an HMAC CryptoKey: handing jose the raw bytes imports it again on
// every verification, a cost every member request of every function paid.
const hmacKeys = new Map<JWK, Promise<CryptoKey>>(
  secrets.map((k) => [k, crypto.subtle.importKey("raw", new Uint8Array(base64url.decode(k.k!)), { name: "HMAC", hash: "SHA-256" }, false, ["verify"])]),
);
const publicKeys = keys.filter((k) => k.kty !== "oct");
const publicKeySet = publicKeys.length ? createLocalJWKSet({ keys: publicKeys }) : undefined;

const invalid = (message: string) => new HttpError(401, "invalid_jwt", message);

/** The project's legacy API keys: JWTs signed with the shared secret, given to every function. */
const projectKeys = ["SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"].map((name) => Deno.env.get(name)).filter((k): k is string => !!k);

/** Compares without stopping at the first difference (no timing hint about a key). */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** An HS256 token where no shared secret is at hand: a project key as it is, or a user's token Auth accepts. */
async function verifyWithoutSecret(token: string): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    throw invalid("The access token is malformed");
  }
  if (typeof payload.exp !== "number") throw invalid("The access token's exp claim is not acceptable");
  if (payload.exp <= Date.now() / 1000) throw new HttpError(401, "jwt_expired", "The access token has expired: refresh the session and retry");
  if (projectKeys.some((key) => sameText(key, token))) return payload;
  let res: Response;
  try {
    res = await fetch(new URL("/auth/v1/user", Deno.env.get("SUPABASE_URL")), {
      headers: { apikey: Deno.env.get("SUPABASE_ANON_KEY") ?? "", authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
  } catch (e) {
    throw new HttpError(503, "auth_unavailable", "The access token cannot be checked now: the Auth service is unreachable", { detail: String(e) });
  }
  await res.body?.cancel();
  if (res.ok) return payload;
  if (res.status >= 500) throw new HttpError(503, "auth_unavailable", "The access token cannot be checked now: the Auth service is unavailable", { status: res.status });
  throw invalid("Supabase Auth does not accept this access token");
}

/** The verified claims of a compact JWS; 401 invalid_jwt / jwt_expired otherwise. */
export async function verifyAccessToken(token: string): Promise<JWTPayload> {
  let header: { alg?: string; kid?: string };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalid("The access token is not a JWT");
  }
  if (!header.alg || !algorithms.includes(header.alg)) {
    throw invalid(`The access token's algorithm ${JSON.stringify(header.alg ?? null)} is not one Supabase Auth signs with`);
  }
  const options = { algorithms: [header.alg], requiredClaims: ["exp"] };
  try {
    if (header.alg !== "HS256") {
      if (!publicKeySet) throw invalid("No signing key of this project verifies the access token");
      return (await jwtVerify(token, publicKeySet, options)).payload;
    }
    if (secrets.length === 0) return await verifyWithoutSecret(token);
    // A key without a kid (the legacy JWT secret) stays a candidate for any token.
    const candidates = secrets.filter((k) => !header.kid || !k.kid || k.kid === header.kid);
    for (const [i, key] of candidates.entries()) {
      try {
        return (await jwtVerify(token, await hmacKeys.get(key)!, options)).payload;
      } catch (e) {
        if (!(e instanceof errors.JWSSignatureVerificationFailed) || i === candidates.length - 1) throw e;
      }
    }
    throw invalid("No signing key of this project verifies the access token");
  } catch (e) {
    if (e instanceof HttpError) throw e;
    if (e instanceof errors.JWTExpired) throw new HttpError(401, "jwt_expired", "The access token has expired: refresh the session and retry");
    if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey) {
      throw invalid("The access token's signature does not verify with this project's keys");
    }
    if (e instanceof errors.JWTClaimValidationFailed) throw invalid(`The access token's ${e.claim} claim is not acceptable`);
    throw invalid("The access token is malformed");
  }
}

/** The bearer token of the Authorization header, or null. */
export function bearerToken(req: Request): string | null {
  return /^Bearer ([^\s]+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;
}
