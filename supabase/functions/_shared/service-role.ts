// Operator-only functions: the caller must present the service_role key (a JWT whose role claim is
// service_role), verified by this function itself (claims.ts), not only by the gateway.
import { callerRole } from "./claims.ts";
import { HttpError } from "./errors.ts";

export async function requireServiceRole(req: Request): Promise<void> {
  if ((await callerRole(req)) !== "service_role") throw new HttpError(403, "service_role_required", "Only the service role may call this function");
}
