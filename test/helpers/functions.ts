// The edge functions as tests reach them: through the gateway (as clients do), and at each
// function's own origin behind the gateway (as an attacker on the host network could), to prove
// that skipping the gateway gains nothing. Only functionOrigin knows how the stack serves them.
import { functionNames, functionUrl } from "../../stack/services/functions.ts";
import { stack } from "./stack.ts";

/** Every function folder of supabase/functions: new functions join every table-driven test. */
export const functions: string[] = functionNames();

/** The URL clients call: the gateway's /functions/v1/<name>. */
export const gatewayUrl = (name: string) => `${stack.apiUrl}/functions/v1/${name}`;

/** The function's own origin behind the gateway: this stack's functions host, at /<name>/. */
export function functionOrigin(name: string): string {
  return `${functionUrl(name)}/`;
}

/** Why the functions' own origins cannot be attacked here (undefined when they can). */
export async function originSkipReason(): Promise<string | undefined> {
  const name = functions[0];
  try {
    const res = await fetch(functionOrigin(name), { method: "OPTIONS", signal: AbortSignal.timeout(3000) });
    if (res.status === 204) return undefined;
    return `the origin computed for ${name} (${functionOrigin(name)}) answered OPTIONS with ${res.status}`;
  } catch (e) {
    return `the functions' own origins are not reachable here (${functionOrigin(name)}: ${(e as Error).message}); against another stack only the gateway is tested`;
  }
}
