// Signed one-click unsubscribe tokens: "v1.<payload>.<signature>", base64url, where the payload
// names the member, the notification category, a random token id and an expiry (90 days after the
// mail: links in old mails keep working that long), and the signature is HMAC-SHA256 with
// NOTIFICATIONS_SIGNING_SECRET. The signature makes a token unforgeable; the database makes it
// single-use (email_unsubscribes keyed by the token id).
import { z } from "zod";

const payloadSchema = z.object({ u: z.guid(), c: z.string().regex(/^[a-z_]{1,40}$/), j: z.guid(), e: z.number().int().positive() }).strict();
export type UnsubscribePayload = { userId: string; category: string; tokenId: string; expiresAt: number; expired: boolean };

/** How long an unsubscribe link works after its mail was sent. */
export const unsubscribeTokenLifetimeSeconds = 90 * 24 * 3600;

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function signUnsubscribeToken(secret: string, userId: string, category: string, now = Date.now()): Promise<string> {
  const e = Math.floor(now / 1000) + unsubscribeTokenLifetimeSeconds;
  const payload = b64url(new TextEncoder().encode(JSON.stringify({ u: userId, c: category, j: crypto.randomUUID(), e })));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await key(secret), new TextEncoder().encode(`v1.${payload}`)));
  return `v1.${payload}.${b64url(signature)}`;
}

/** The token's payload (expired or not) when its signature is right; null for anything forged, altered or malformed. */
export async function verifyUnsubscribeToken(secret: string, token: string, now = Date.now()): Promise<UnsubscribePayload | null> {
  const m = /^v1\.([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromB64url(m[2]);
  } catch {
    return null;
  }
  // crypto.subtle.verify compares in constant time.
  const ok = await crypto.subtle.verify("HMAC", await key(secret), signature, new TextEncoder().encode(`v1.${m[1]}`));
  if (!ok) return null;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(new TextDecoder().decode(fromB64url(m[1]))));
    return parsed.success
      ? { userId: parsed.data.u, category: parsed.data.c, tokenId: parsed.data.j, expiresAt: parsed.data.e, expired: parsed.data.e * 1000 <= now }
      : null;
  } catch {
    return null;
  }
}
