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
    let res: Response;
    try {
      if (options.verifyJwt !== false) await requestClaims(req);
      if (!methods.includes(req.method)) throw new HttpError(405, "method_not_allowed", `Use ${methods.join(" or ")}`, { allow: methods });
      res = await handler(req);
    } catch (e) {
      res = errorResponse(e);
      if (res.status === 405) res.headers.set("allow", allow);
    }
    // Refused before its body was read: read the rest first, as a server must before answering
    // early, or closing the connection on unread data resets it and the client never sees the answer.
    if (req.body && !req.body.locked) await discard(req.body.getReader(), drainLimit);
    return res;
  });
}

/** Bodies up to this size are read to the end even when refused (see serve); beyond it the connection is dropped. */
const drainLimit = 8 * 1024 * 1024;

async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number, read = 0): Promise<void> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > limit) return void (await reader.cancel());
    }
  } catch {
    // the client went away: nothing left to read
  }
}

/** Bodies are small JSON documents; anything larger is refused before it is read into memory. */
export const maxBodyBytes = 64 * 1024;

const tooLarge = (limit: number) => new HttpError(413, "payload_too_large", `The request body is larger than ${limit} bytes`);

/** The body as text, at most `limit` bytes (checked on the declared length and on what actually arrives). */
export async function readBody(req: Request, limit = maxBodyBytes): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (!req.body) return "";
  const reader = req.body.getReader();
  if (declared > limit) {
    await discard(reader, drainLimit);
    throw tooLarge(limit);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await discard(reader, drainLimit, size);
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

/**
 * Parses a JSON body against a schema; bad JSON or a bad shape is a 400 with the issues listed.
 * Text holding NUL is refused here for every field at once: Postgres text cannot store it.
 */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T, limit = maxBodyBytes): Promise<z.infer<T>> {
  const text = await readBody(req, limit);
  let raw: unknown = {};
  let nul = false;
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text, (key, value) => {
        if (key.includes("\0") || (typeof value === "string" && value.includes("\0"))) nul = true;
        return value;
      });
    } catch {
      throw new HttpError(400, "invalid_json", "The request body is not valid JSON");
    }
  }
  if (nul) throw new HttpError(400, "invalid_request", "Text in the request body may not contain NUL (\\u0000)");
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, "invalid_request", "The request body does not match the expected shape", parsed.error.issues);
  return parsed.data;
}
