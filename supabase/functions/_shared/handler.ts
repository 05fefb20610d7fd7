// Wraps a function's handler: CORS preflight, the caller's token verified (as the edge runtime's
// verify_jwt does, so that reaching the function past the gateway gains nothing), allowed methods,
// JSON body parsing with zod, one error shape.
import { z } from "zod";
import { corsHeaders, errorResponse, HttpError } from "./errors.ts";
import { requestClaims } from "./claims.ts";

export type Handler = (req: Request) => Promise<Response>;

export interface ServeOptions {
  /** As `[functions.<name>] verify_jwt` in config.toml: false only for callers without a Supabase JWT (signed webhooks). */
  verifyJwt?: boolean;
}

export function serve(methods: string[], handler: Handler, options: ServeOptions = {}): void {
  const allow = [...methods, "OPTIONS"].join(", ");
  Deno.serve(async (req) => {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: { ...corsHeaders, allow } });
    try {
      if (options.verifyJwt !== false) await requestClaims(req);
      if (!methods.includes(req.method)) throw new HttpError(405, "method_not_allowed", `Use ${methods.join(" or ")}`, { allow: methods });
      return await handler(req);
    } catch (e) {
      const res = errorResponse(e);
      if (res.status === 405) res.headers.set("allow", allow);
      return res;
    }
  });
}

/** Bodies are small JSON documents; anything larger is refused before it is read into memory. */
export const maxBodyBytes = 64 * 1024;

const tooLarge = (limit: number) => new HttpError(413, "payload_too_large", `The request body is larger than ${limit} bytes`);

/** The body as text, at most `limit` bytes (checked on the declared length and on what actually arrives). */
export async function readBody(req: Request, limit = maxBodyBytes): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not UTF-8 text");
  }
}

/** Parses a JSON body against a schema; bad JSON or a bad shape is a 400 with the issues listed. */
export async function parseBody<T extends z.ZodTypeAny>(req: Request, schema: T, limit = maxBodyBytes): Promise<z.infer<T>> {
  const text = await readBody(req, limit);
  let raw: unknown = {};
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "The request body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, "invalid_request", "The request body does not match the expected shape", parsed.error.issues);
  return parsed.data;
}
