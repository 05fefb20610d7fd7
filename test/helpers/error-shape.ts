// The one error shape the gateway, the functions host and the functions answer with:
// { error: { code, message, details? } } and nothing else.
import { z } from "zod";

export const errorBody = z.strictObject({
  error: z.strictObject({ code: z.string().min(1), message: z.string().min(1), details: z.unknown().optional() }),
});
