// Operator-only functions: the caller must present the service_role key (a JWT whose role claim is
// service_role). verify_jwt = true has already checked the signature at the gateway.
import { HttpError } from "./errors.ts";

export function requireServiceRole(req: Request): void {
  const token = /^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
  let role: unknown;
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    role = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)))).role;
  } catch {
    role = undefined;
  }
  if (role !== "service_role") throw new HttpError(403, "service_role_required", "Only the service role may call this function");
}
