// Liveness of the functions runtime and its database connection; needs a valid JWT (verify_jwt).
import { serve } from "../_shared/handler.ts";
import { json } from "../_shared/errors.ts";
import { sql } from "../_shared/db.ts";

serve(["GET"], async () => {
  const [{ now }] = await sql`select now() as now`;
  return json({ status: "ok", database: "ok", time: now });
});
