// The platform bootstrap: Supabase's roles, schemas, grants and extensions, once per data dir.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { adminDbUrl, root } from "./config.ts";
import type { Service } from "./service.ts";

export const platformService: Service = {
  name: "platform",
  url: "roles, schemas, extensions",
  async start() {
    const sql = postgres(adminDbUrl, { max: 1, onnotice: () => {} });
    try {
      const [{ done }] = await sql`select exists (select 1 from pg_roles where rolname = 'authenticator') as done`;
      if (done) {
        this.detail = "already bootstrapped";
        return;
      }
      await sql.begin((tx) => tx.unsafe(readFileSync(join(root, "stack", "platform.sql"), "utf8")));
      this.detail = "bootstrapped";
    } finally {
      await sql.end();
    }
  },
  async stop() {},
};
