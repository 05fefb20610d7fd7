// The schedule's jobs (supabase/migrations/*_schedule.sql) run every minute in the test stack too.
// A file that calls a scheduled function by hand and counts what that call did pauses those jobs
// for its duration, so a tick in between takes nothing from it.
import { afterAll, beforeAll } from "vitest";
import { sql } from "./db.ts";

/** The jobs that call edge functions (they change rows as earlier files left them due). */
export const functionJobs = ["send-notifications", "process-deletion-requests", "referral-sweep"];
/** The recovery sweep: it retakes claims and fails abandoned exports, which tests of those count. */
export const recoveryJob = "recover-expired-claims";

async function setActive(jobs: string[], active: boolean): Promise<void> {
  await sql`select cron.alter_job(jobid, active := ${active}) from cron.job where jobname in ${sql(jobs)}`;
}

/** Pauses these jobs from this file's first test to its last, after their calls under way are answered. */
export function jobsPausedDuringFile(...jobs: string[]): void {
  beforeAll(async () => {
    await setActive(jobs, false);
    const deadline = Date.now() + 60_000;
    for (;;) {
      // A paused job makes no call that would settle its last ones: settle them here.
      await sql`select private.settle_function_calls()`;
      const [{ busy }] = await sql<{ busy: number }[]>`
        select count(*)::int as busy from private.function_calls f join cron.job j
            on j.command like '%call_function(''' || f.function_name || '''%'
         where j.jobname in ${sql(jobs)} and f.status = 'running'`;
      if (busy === 0 || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 70_000);
  afterAll(() => setActive(jobs, true));
}
