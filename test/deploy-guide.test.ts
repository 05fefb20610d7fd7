// docs/deploy.md as a contract: every `npx supabase …` command it gives exists in the pinned CLI
// with each of its flags (as the CLI's own --help lists them), the commands that target a database
// name the remote one (the pinned CLI targets the local stack by default), the Stripe event list
// equals what the webhook acts on, and config.toml sends nothing local to a hosted project.
// test/deploy.test.ts runs the guide's `db push` itself.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { supabaseDir, toml } from "../stack/core/config.ts";
import { guide, guideCommands } from "./helpers/deploy-guide.ts";
import { supabaseCli } from "../stack/core/supabase-cli.ts";

describe("docs/deploy.md against the pinned Supabase CLI", () => {
  const commands = guideCommands();

  it("gives the commands a deploy needs", () => {
    expect(commands.map((c) => c.words.join(" "))).toEqual(
      expect.arrayContaining(["login", "link", "db push", "functions deploy", "secrets set", "config push", "migration list", "db advisors"]),
    );
  });

  it("every command and every flag it uses exists in the CLI's --help", async () => {
    for (const { line, words, flags } of commands) {
      const help = await supabaseCli([...words, "--help"]);
      expect(help, line).toContain(`supabase ${words.join(" ")} [flags]`);
      for (const flag of flags) expect(help, `${line}: ${flag}`).toMatch(new RegExp(`(^|\\s)${flag}(\\[|=|,|\\s)`, "m"));
    }
  }, 120_000);

  it("sends every database command to the remote project, never the local default", async () => {
    const targeted = commands.filter((c) => ["db push", "migration list", "db advisors"].includes(c.words.join(" ")));
    expect(targeted.length).toBeGreaterThanOrEqual(3);
    for (const { line, flags } of targeted) expect(flags, line).toContain("--remote");
    // What makes --remote necessary, as the pinned CLI says it.
    expect(await supabaseCli(["db", "push", "--help"])).toMatch(/Local by default\. Pass --remote/);
  });
});

describe("the guide's Stripe events", () => {
  it("are exactly the events the webhook acts on", async () => {
    const block = /<!-- stripe-events:start -->([\s\S]*?)<!-- stripe-events:end -->/.exec(guide)?.[1] ?? "";
    const listed = [...block.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]).sort();
    const [{ events }] = await sql<{ events: string[] }[]>`select private.stripe_webhook_events() as events`;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed).toEqual([...events].sort());
  });
});

describe("config.toml for `config push`", () => {
  it("takes every local address of Auth from env(...), with nothing local written in it", () => {
    const auth = toml.auth as Record<string, any>;
    const keycloak = auth.external.keycloak as Record<string, unknown>;
    for (const value of [auth.site_url, ...auth.additional_redirect_urls, keycloak.url, keycloak.client_id, keycloak.redirect_uri, keycloak.secret]) {
      expect(value).toMatch(/^env\([A-Z_]+\)$/);
    }
    expect(JSON.stringify(auth)).not.toMatch(/127\.0\.0\.1|localhost/);
    // No section the guide could cite that config.toml does not have.
    expect(readFileSync(join(supabaseDir, "config.toml"), "utf8")).not.toMatch(/\[auth\.email\.template/);
    expect(guide).not.toMatch(/\[auth\.email\.template/);
  });
});
