// The schedule ships with the project: every periodic job is a Supabase Cron job made by the
// migrations, and in the running stack they happen with nobody calling anything — a message's
// email reaches the mail catcher, a qualified referral is credited, a deletion past its grace
// period is carried out (with Auth running) — within one minute's tick, which this file waits for
// once (the recovery sweep's run is checked in the same minute). The retention purge is run by its
// job's own command; the admin views are closed to members.
import { describe, expect, it } from "vitest";
import { authSkipReason, stack } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { memberClient, ok } from "./helpers/rest.ts";
import { createUser, type TestUser } from "./helpers/users.ts";
import { mailsTo } from "./helpers/mail.ts";

const functionJobs = [
  { jobname: "process-deletion-requests", function_name: "process-deletion-requests" },
  { jobname: "referral-sweep", function_name: "affiliate-credit" },
  { jobname: "send-notifications", function_name: "send-notifications" },
];

describe("the schedule", () => {
  it("holds every periodic job, active, each function job calling its function", async () => {
    const jobs = await sql`select jobname, schedule, command, active, username from cron.job order by jobname`;
    expect(jobs.map((j) => [j.jobname, j.schedule, j.active, j.username])).toEqual([
      ["expire-parked-stripe-events", "41 3 * * *", true, "postgres"],
      ["process-deletion-requests", "* * * * *", true, "postgres"],
      ["purge-expired-rows", "17 3 * * *", true, "postgres"],
      ["recover-expired-claims", "* * * * *", true, "postgres"],
      ["referral-sweep", "* * * * *", true, "postgres"],
      ["send-notifications", "* * * * *", true, "postgres"],
    ]);
    for (const { jobname, function_name } of functionJobs) {
      expect(jobs.find((j) => j.jobname === jobname)!.command).toContain(`private.call_function('${function_name}'`);
    }
  });
});

describe("the jobs run from the schedule, with nobody calling", () => {
  let expert: TestUser;
  let referrer: TestUser;
  let referred: TestUser;
  let leaving: TestUser;
  let deletionId: string;
  let since: Date;

  it("a message's email reaches the mail catcher, a qualified referral is credited, a due deletion is taken", async () => {
    [since] = (await sql<{ now: Date }[]>`select now()`).map((r) => r.now);
    const member = await createUser();
    expert = await createUser();
    await sql`update public.profiles set first_name = 'Sam', last_name = 'Sender' where id = ${member.id}`;
    await sql`update public.profiles set role = 'expert' where id = ${expert.id}`; // listed: private.is_listed_expert
    await sql`insert into public.expert_profiles (id, verification_status, verified_at) values (${expert.id}, 'verified', now())`;
    ok(await (await memberClient(member.id)).rpc("start_conversation", { expert_id: expert.id, body: "Is Thursday fine for you?" }));
    referrer = await createUser();
    const [{ code }] = await sql<{ code: string }[]>`select code from public.referral_codes where user_id = ${referrer.id}`;
    referred = await createUser({ metadata: { referral_code: code } });
    leaving = await createUser();
    [{ id: deletionId }] = await sql<{ id: string }[]>`
      insert into public.data_deletion_requests (user_id, requested_at, process_after)
      values (${leaving.id}, now() - interval '8 days', now() - interval '1 day') returning id`;

    // One minute's tick (pg_cron is minute-granular) and the calls it makes; a loaded machine gets more.
    const deadline = Date.now() + 150_000;
    const pending = () => sql<{ function_name: string }[]>`
      select distinct function_name from private.function_calls
       where requested_at > ${since} and status in ('done', 'failed') and function_name in ${sql(functionJobs.map((j) => j.function_name))}`;
    // Outcomes are recorded by the next tick's settling (or the recovery job's): settle as we wait.
    const settle = () => sql`select private.settle_function_calls()`;
    for (;;) {
      await settle();
      const answered = (await pending()).map((r) => r.function_name);
      const mailed = (await mailsTo(expert.email, /New message from Sam S\./)).length > 0;
      if ((answered.length === functionJobs.length && mailed) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }

    const mails = await mailsTo(expert.email, /New message from Sam S\./);
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain("Is Thursday fine for you?");
    expect(await sql`select status from public.email_outbox where user_id = ${expert.id}`).toEqual([{ status: "sent" }]);

    const [credit] = await sql`select status::text from public.referrals where referred_id = ${referred.id}`;
    expect(credit.status).toBe("credited");
    expect(await sql`select balance_cents from public.credit_accounts where user_id = ${referrer.id}`).toEqual([{ balance_cents: 1000 }]);

    const [deletion] = await sql`select status::text, user_id from public.data_deletion_requests where id = ${deletionId}`;
    if (authSkipReason) {
      // Without Auth the function answers 503 and the request waits, pending, for the next tick.
      expect(deletion).toEqual({ status: "pending", user_id: leaving.id });
    } else {
      expect(deletion).toEqual({ status: "completed", user_id: null });
      expect(await sql`select 1 from auth.users where id = ${leaving.id}`).toHaveLength(0);
    }

    // Each function job's run is on record: cron's run details, and the call with its answer.
    const runs = await sql<{ jobname: string; status: string }[]>`
      select distinct on (j.jobname) j.jobname, d.status from cron.job_run_details d join cron.job j using (jobid)
       where d.start_time > ${since} order by j.jobname, d.runid desc`;
    for (const jobname of [...functionJobs.map((j) => j.jobname), "recover-expired-claims"]) expect(runs.find((r) => r.jobname === jobname)?.status, jobname).toBe("succeeded");
    // Each call went through pg_net (here the stack's stand-in): its request id has pg_net's answer.
    const calls = await sql<{ function_name: string; status_code: number; answered: boolean }[]>`
      select distinct on (function_name) function_name, status_code,
             exists (select from net._http_response r where r.id = f.net_request_id and r.status_code = f.status_code) as answered
        from private.function_calls f
       where requested_at > ${since} order by function_name, id`;
    expect(calls.map((c) => [c.function_name, c.answered])).toEqual(functionJobs.map((j) => [j.function_name, true]).sort());
    const codes = Object.fromEntries(calls.map((c) => [c.function_name, c.status_code]));
    expect(codes["send-notifications"]).toBe(200);
    expect(codes["affiliate-credit"]).toBe(200);
    expect(codes["process-deletion-requests"]).toBe(authSkipReason ? 503 : 200);
  }, 200_000);

  it("shows each job's last run and the backlog to admins in private views, and nothing to members", async () => {
    const jobs = await sql`select jobname, last_run_at, last_status, function_name, last_call_status_code from private.scheduled_jobs order by jobname`;
    expect(jobs.map((j) => j.jobname)).toEqual(["expire-parked-stripe-events", "process-deletion-requests", "purge-expired-rows", "recover-expired-claims", "referral-sweep", "send-notifications"]);
    const send = jobs.find((j) => j.jobname === "send-notifications")!;
    expect(send).toMatchObject({ last_status: "succeeded", function_name: "send-notifications", last_call_status_code: 200 });
    expect(send.last_run_at.getTime()).toBeGreaterThan(since.getTime());
    const [health] = await sql`select * from private.operations_health`;
    expect(Object.keys(health).sort()).toEqual(
      ["deletions_expired_claims", "deletions_overdue", "exports_stuck", "function_calls_failed_today", "function_calls_failed_unretried", "function_calls_stuck", "outbox_due", "outbox_expired_claims", "outbox_oldest_due_at"].sort(),
    );
    for (const role of ["anon", "authenticated"]) {
      const [access] = await sql`select has_table_privilege(${role}, 'private.scheduled_jobs', 'select') as jobs,
                                        has_table_privilege(${role}, 'private.operations_health', 'select') as health,
                                        has_table_privilege(${role}, 'private.function_calls', 'select') as calls`;
      expect(access, role).toEqual({ jobs: false, health: false, calls: false });
    }
    await sql`delete from auth.users where id in ${sql([expert.id, referrer.id, referred.id, leaving.id])}`;
  });
});

describe("the retention purge (its job's own command)", () => {
  it("deletes history past its period and keeps what is recent or still wanted", async () => {
    const member = await createUser();
    const id = member.id;
    await sql`insert into public.search_history (member_id, query, created_at) values (${id}, 'old', now() - interval '91 days'), (${id}, 'recent', now() - interval '89 days')`;
    await sql`insert into public.login_history (user_id, session_id, signed_in_at) values (${id}, gen_random_uuid(), now() - interval '13 months'), (${id}, gen_random_uuid(), now() - interval '11 months')`;
    await sql`insert into public.notifications (user_id, kind, title, read_at, created_at) values
                (${id}, 'test', 'read long ago', now() - interval '91 days', now() - interval '100 days'),
                (${id}, 'test', 'read lately', now() - interval '1 day', now() - interval '100 days'),
                (${id}, 'test', 'never read', null, now() - interval '200 days')`;
    // The pending row is due next year: the every-minute send leaves it alone meanwhile.
    await sql`insert into public.email_outbox (user_id, kind, category, subject, status, created_at, next_attempt_at) values
                (${id}, 'test', 'bookings', 'sent long ago', 'sent', now() - interval '91 days', now()),
                (${id}, 'test', 'bookings', 'still pending', 'pending', now() - interval '200 days', now() + interval '1 year'),
                (${id}, 'test', 'bookings', 'sent lately', 'sent', now() - interval '1 day', now())`;
    const eventIds = [`evt_purge_old_${Date.now()}`, `evt_purge_new_${Date.now()}`];
    await sql`insert into public.stripe_events (id, type, stripe_created_at, outcome, processed_at) values
                (${eventIds[0]}, 'test', now(), 'ignored', now() - interval '91 days'), (${eventIds[1]}, 'test', now(), 'ignored', now() - interval '1 day')`;

    const [{ command }] = await sql<{ command: string }[]>`select command from cron.job where jobname = 'purge-expired-rows'`;
    await sql.unsafe(command);

    expect((await sql`select query from public.search_history where member_id = ${id}`).map((r) => r.query)).toEqual(["recent"]);
    expect(await sql`select count(*)::int as n from public.login_history where user_id = ${id}`).toEqual([{ n: 1 }]);
    expect((await sql`select title from public.notifications where user_id = ${id} order by title`).map((r) => r.title)).toEqual(["never read", "read lately"]);
    expect((await sql`select subject from public.email_outbox where user_id = ${id} order by subject`).map((r) => r.subject)).toEqual(["sent lately", "still pending"]);
    expect((await sql`select id from public.stripe_events where id in ${sql(eventIds)}`).map((r) => r.id)).toEqual([eventIds[1]]);
    await sql`delete from public.email_outbox where user_id = ${id}`; // the pending row is no mail to send
    await sql`delete from auth.users where id = ${id}`;
  });
});
