// A real SMTP catcher (MailDev) on the inbucket ports; tests read mail through its REST API.
import { join } from "node:path";
import { root, ports } from "../core/config.ts";
import { httpOk, spawnLogged, stopChild, waitFor, type Service } from "../core/service.ts";
import type { ChildProcess } from "node:child_process";

let child: ChildProcess | undefined;

export const mailService: Service = {
  name: "mail",
  url: `http://127.0.0.1:${ports.mail}`,
  detail: `MailDev, SMTP on ${ports.smtp}`,
  async start() {
    const bin = join(root, "node_modules", "maildev", "dist", "bin", "maildev.js");
    const args = [bin, "--smtp", String(ports.smtp), "--ip", "127.0.0.1", "--web", String(ports.mail), "--web-ip", "127.0.0.1"];
    child = spawnLogged("mail", process.execPath, args);
    await waitFor("mail", () => httpOk(`${this.url}/api/healthz`), undefined, child);
  },
  async stop() {
    await stopChild(child);
    child = undefined;
  },
};
