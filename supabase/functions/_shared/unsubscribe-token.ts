// Signed one-click unsubscribe tokens: JWTs (HS256 with NOTIFICATIONS_SIGNING_SECRET, signed and
// verified by jose) whose audience says what they are for, naming the member (sub), the
// notification category, a random token id (jti) and an expiry 90 days after the mail (links in
// old mails keep working that long). The signature makes a token unforgeable, the audience keeps a
// token signed for anything else from unsubscribing, and the database makes it single-use
// (email_unsubscribes keyed by the token id). Nothing is deployed yet, so no link of the earlier
// "v1." format exists to honour.
import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { z } from "zod";

const audience = "memberbase:unsubscribe";
const claimsSchema = z.object({
  aud: z.literal(audience),
  sub: z.guid(),
  jti: z.guid(),
  cat: z.string().regex(/^[a-z_]{1,40}$/),
  exp: z.number().int().positive(),
});
export type UnsubscribePayload = { userId: string; category: string; tokenId: string; expiresAt: number; expired: boolean };

/** How long an unsubscribe link works after its mail was sent. */
export const unsubscribeTokenLifetimeSeconds = 90 * 24 * 3600;

const keys = new Map<string, Uint8Array>();
function key(secret: string): Uint8Array {
  let k = keys.get(secret);
  if (!k) keys.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
}

export async function signUnsubscribeToken(secret: string, userId: string, category: string, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return await new SignJWT({ cat: category })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setAudience(audience)
    .setSubject(userId)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + unsubscribeTokenLifetimeSeconds)
    .sign(key(secret));
}

function payloadOf(claims: JWTPayload, now: number): UnsubscribePayload | null {
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) return null;
  const { sub, cat, jti, exp } = parsed.data;
  return { userId: sub, category: cat, tokenId: jti, expiresAt: exp, expired: exp * 1000 <= now };
}

/** The token's payload (expired or not) when its signature is right; null for anything forged, altered or malformed. */
export async function verifyUnsubscribeToken(secret: string, token: string, now = Date.now()): Promise<UnsubscribePayload | null> {
  if (token.length > 1000) return null;
  try {
    const { payload } = await jwtVerify(token, key(secret), { algorithms: ["HS256"], audience, currentDate: new Date(now) });
    return payloadOf(payload, now);
  } catch (e) {
    // jose checks the signature before the claims: an expired token's payload is authentic, and
    // the function answers it 410 rather than 403.
    if (e instanceof errors.JWTExpired) return payloadOf(e.payload, now);
    return null;
  }
}
