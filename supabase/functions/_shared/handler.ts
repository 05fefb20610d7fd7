// Wraps a function's handler: CORS preflight, allowed methods, JSON body parsing with zod, one error shape.
import { z } from "zod";
import { corsHeaders, errorResponse, HttpError } from "./errors.ts";

export type Handler = (req: Request) => Promise<Response>;

export function serve(methods: string[], handler: Handler): void {
  Deno.serve(async (req) => {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: corsHeaders });
    try {
      if (!methods.includes(req.method)) throw new HttpError(405, "method_not_allowed", `Use ${methods.join(" or ")}`);
      return await handler(req);
    } catch (e) {
      return errorResponse(e);
    }
  });
}

/** Parses a JSON body against a schema; bad JSON or a bad shape is a 400 with the issues listed. */
export async function parseBody<T extends z.ZodTypeAny>(req: Request, schema: T): Promise<z.infer<T>> {
  const text = await req.text();
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
