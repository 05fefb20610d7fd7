// The secrets the Docker-free local stack gives its functions. They are in the repository, so they
// protect nothing: the functions refuse them anywhere but on a local stack (secrets.ts). Plain
// constants, read by the stack (Node) and the functions (Deno) alike.
export const localSecrets = {
  NOTIFICATIONS_SIGNING_SECRET: "local-only-notifications-signing-secret-not-for-production",
  STRIPE_WEBHOOK_SECRET: "whsec_memberbase_local_signing_secret",
} as const;
