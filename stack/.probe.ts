import postgres from "postgres";
import { memberClaims, signAccessToken } from "./test-kit/tokens.ts";
import { anonKey, apiUrl, dbUrl } from "./core/config.ts";
const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
const [u] = await sql`select id from auth.users limit 1`;
let uid = u?.id;
if (!uid) { uid = crypto.randomUUID(); await sql`insert into auth.users (instance_id,id,aud,role,email,raw_app_meta_data,raw_user_meta_data,created_at,updated_at,confirmation_token,recovery_token,email_change_token_new,email_change) values ('00000000-0000-0000-0000-000000000000',${uid},'authenticated','authenticated',${"p-" + uid + "@x.test"},'{}','{}',now(),now(),'','','','')`; }
const token = await signAccessToken(memberClaims(uid));
const cases: [string, unknown][] = JSON.parse(process.argv[2]);
for (const [fn, body] of cases) {
  const r = await fetch(`${apiUrl}/rest/v1/rpc/${fn}`, { method: "POST", headers: { apikey: anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const t = await r.text();
  console.log(fn, JSON.stringify(body), r.status, t.slice(0, 160));
}
await sql.end();
