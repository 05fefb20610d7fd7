// A real browser for tests: Debian's Chromium driven by playwright-core, with a fresh profile, on a
// page served from an origin of its own (a port other than the API's), which loads supabase-js's
// browser build from node_modules — so every call the page makes is a cross-origin call, with the
// preflights and CORS checks an app's calls get.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { root } from "../../stack/core/config.ts";

/** Debian's package (`apt-get install chromium`); MEMBERBASE_CHROMIUM names another binary. */
export const chromiumPath = process.env.MEMBERBASE_CHROMIUM ?? "/usr/bin/chromium";

/** Why no browser test can run here (undefined when one can). */
export const noChromium = existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath} (Debian: apt-get install chromium; or set MEMBERBASE_CHROMIUM)`;

export interface BrowserPage {
  page: Page;
  /** The page's origin: http://127.0.0.1:<its own port>. */
  origin: string;
  close(): Promise<void>;
}

const pageHtml = '<!doctype html><meta charset="utf-8"><title>memberbase browser test</title><script src="/supabase.js"></script>';

/** Serves the page and supabase-js's UMD build (it defines `window.supabase`) on a port of its own. */
async function servePage(): Promise<Server> {
  const bundle = readFileSync(join(root, "node_modules", "@supabase", "supabase-js", "dist", "umd", "supabase.js"));
  const server = createServer((req, res) => {
    if (req.url === "/supabase.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    else if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(pageHtml);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  return server;
}

/** Chromium headless with a new profile, on the page, with supabase-js loaded. */
export async function openPage(): Promise<BrowserPage> {
  const server = await servePage();
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the page server has no port");
  const origin = `http://127.0.0.1:${address.port}`;
  const profile = mkdtempSync(join(tmpdir(), "memberbase-chromium-"));
  let context: BrowserContext | undefined;
  try {
    // A new --user-data-dir (playwright-core passes it); nothing of the machine's own profile, no
    // background traffic, no QUIC, no sandbox (CI runs as root).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(origin);
    await page.waitForFunction(() => typeof (globalThis as { supabase?: unknown }).supabase === "object");
    const opened = context;
    return {
      page,
      origin,
      async close() {
        await opened.close();
        await new Promise<void>((r) => server.close(() => r()));
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close().catch(() => {});
    server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
