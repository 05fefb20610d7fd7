// Requests from a client address of their own. Any 127.x.y.z reaches a loopback server (all of 127/8
// is loopback), and Supabase Auth rate-limits and records sessions per client IP: giving each app
// user their own address makes many users' normal use look like that, not like one client's burst.
import { request } from "node:http";
import { request as httpsRequest } from "node:https";

/** A random loopback address outside 127.0.0.0/16 (where the stack's own services listen). */
export function newClientAddress(): string {
  const byte = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  return `127.${byte(10, 250)}.${byte(0, 255)}.${byte(1, 254)}`;
}

/** fetch() that connects from the given local address (no redirects followed, as `redirect: "manual"`). */
export function fetchFrom(localAddress: string): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers = Object.fromEntries(req.headers);
    if (body) headers["content-length"] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === "https:" ? httpsRequest : request;
      const out = send(url, { method: req.method, headers, localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 502;
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : [v ?? ""]) h.append(k, one);
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: h }));
        });
      });
      out.on("error", reject);
      out.end(body);
    });
  };
}
