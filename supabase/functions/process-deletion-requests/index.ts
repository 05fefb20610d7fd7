// POST /functions/v1/process-deletion-requests (service role only): deletes the accounts of
// deletion requests whose 7-day grace period is over. Run it from a scheduler with the service key.
// Each request is claimed with this run as owner and a lease (private.claim_deletion_request); a
// request a dead run left processing is taken again once its lease is over.
// Body: { limit?: 1..100 } (default 25). 200 { processed, failed }; 503 auth_unavailable (the
// request stays pending and is retried next run).
import { z } from "zod";
import { serve, parseBody } from "../_shared/handler.ts";
import { json } from "../_shared/errors.ts";
import { requireServiceRole } from "../_shared/service-role.ts";
import { processDueRequests } from "../_shared/account-deletion.ts";

const body = z.object({ limit: z.number().int().min(1).max(100).default(25) }).strict();

serve(["POST"], async (req) => {
  await requireServiceRole(req);
  const { limit } = await parseBody(req, body);
  return json(await processDueRequests(limit));
}, { verifyJwt: false }); // the schedule's secret key is no JWT: checked by isServiceCaller / memberClaims
