// Access tokens signed with the project's JWT secret, as Supabase Auth signs them (HS256); against
// another project, SUPABASE_JWT_SECRET gives its secret.
import { signAccessToken as sign, type Claims } from "../../stack/tokens.ts";

export function signAccessToken(claims: Claims): Promise<string> {
  return process.env.SUPABASE_JWT_SECRET ? sign(claims, process.env.SUPABASE_JWT_SECRET) : sign(claims);
}
