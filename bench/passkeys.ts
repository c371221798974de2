// Passkey sign-ins per second on one process, beside password logins, on
// SQLite and PostgreSQL; and the CPU one verification costs.
// A sign-in is what a browser does: POST /passkeys/authentication/options,
// the authenticator signs (a software one, in this process, ES256), then
// POST /passkeys/authentication, answered with a session cookie.
// Usage: npm run build && node --import tsx bench/passkeys.ts [--seconds 10] [--clients 16]
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { SoftwareAuthenticator } from "../test/helpers/software-authenticator.js";
import { cpuSecondsOf, fmt, postgresDatabase, type Service, startService, tempDir } from "./lib.js";

const { values } = parseArgs({
  options: { seconds: { type: "string" }, clients: { type: "string" } },
});
const seconds = Number(values.seconds ?? 10);
const clients = Number(values.clients ?? 16);
const PORT = 5994;
const ORIGIN = `http://localhost:${PORT}`;
const PASSWORD = "bench-password";

async function post(url: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
}

/** A user with a passkey on this authenticator (registered and added through the API). */
async function userWithPasskey(url: string, email: string): Promise<SoftwareAuthenticator> {
  const registered = await post(`${url}/users`, { email, password: PASSWORD });
  if (registered.status !== 200)
    throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const login = await post(`${url}/sessions`, { email, password: PASSWORD });
  const cookie = login.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const asked = await post(`${url}/passkeys/registration/options`, {}, cookie);
  if (asked.status !== 200) throw new Error(`options: ${asked.status} ${await asked.text()}`);
  const options = await asked.json();
  const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
  const response = authenticator.register(options as PublicKeyCredentialCreationOptionsJSON);
  const added = await post(`${url}/passkeys/registration`, { response }, cookie);
  if (added.status !== 200)
    throw new Error(`adding a passkey: ${added.status} ${await added.text()}`);
  return authenticator;
}

/** Runs `once` in `clients` closed loops for `seconds`: successes per second and server CPU per success. */
async function closedLoop(
  service: Service,
  loops: number,
  once: (client: number) => Promise<boolean>,
): Promise<{ perSecond: number; cpuMs: number; failures: number }> {
  const pid = service.child.pid ?? 0;
  const cpuBefore = cpuSecondsOf(pid);
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, client) => {
      while (performance.now() < end) {
        if (await once(client)) done++;
        else failures++;
      }
    }),
  );
  const cpu = cpuSecondsOf(pid) - cpuBefore;
  return { perSecond: done / seconds, cpuMs: (cpu * 1000) / Math.max(1, done), failures };
}

async function measure(name: string, databaseUrl: string) {
  const service = await startService({
    DATABASE_URL: databaseUrl,
    PORT: String(PORT),
    LOGIN_IP_MAX_FAILURES: "0",
  });
  try {
    const url = service.url;
    const authenticators: SoftwareAuthenticator[] = [];
    for (let i = 0; i < clients; i++)
      authenticators.push(await userWithPasskey(url, `pk${i}@example.com`));
    const signIn = async (client: number) => {
      const options = await (await post(`${url}/passkeys/authentication/options`, {})).json();
      const authenticator = authenticators[client] as SoftwareAuthenticator;
      const response = authenticator.assert(options as PublicKeyCredentialRequestOptionsJSON);
      const answer = await post(`${url}/passkeys/authentication`, { response });
      await answer.arrayBuffer();
      return answer.status === 200;
    };
    // Warm-up: the JIT, the statement caches, the pool.
    for (let i = 0; i < 200; i++) await signIn(i % clients);
    const passkeys = await closedLoop(service, clients, signIn);
    // Password logins (bcrypt cost 12, the default), by users without a passkey,
    // from as many clients as the hash queue holds (more would be refused with 503).
    const passwordClients = Math.min(clients, 8);
    for (let i = 0; i < passwordClients; i++)
      await post(`${url}/users`, { email: `pw${i}@example.com`, password: PASSWORD });
    const passwords = await closedLoop(service, passwordClients, async (client) => {
      const answer = await post(`${url}/sessions`, {
        email: `pw${client}@example.com`,
        password: PASSWORD,
      });
      await answer.arrayBuffer();
      return answer.status === 200;
    });
    return { name, passkeys, passwords };
  } finally {
    await service.stop();
  }
}

/** CPU of one verifyAuthenticationResponse (ES256), in this process, signatures made beforehand. */
async function verificationCpu(count: number): Promise<number> {
  const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
  const creation = await generateRegistrationOptions({
    rpName: "bench",
    rpID: "localhost",
    userName: "bench",
  });
  const registered = await verifyRegistrationResponse({
    response: authenticator.register(creation),
    expectedChallenge: creation.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: "localhost",
  });
  if (!registered.verified) throw new Error("registration did not verify");
  const { credential } = registered.registrationInfo;
  const answers = [];
  for (let i = 0; i < count; i++) {
    const options = await generateAuthenticationOptions({ rpID: "localhost" });
    answers.push({ options, response: authenticator.assert(options) });
  }
  const before = process.cpuUsage();
  for (const { options, response } of answers) {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: "localhost",
      credential: { ...credential, counter: 0 },
    });
    if (!result.verified) throw new Error("an assertion did not verify");
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

const perVerification = await verificationCpu(2000);
const folder = tempDir();
const runs = [await measure("SQLite", `sqlite:${join(folder.dir, "passkeys.db")}`)];
const postgres = await postgresDatabase();
if (postgres) {
  try {
    runs.push(await measure("PostgreSQL", postgres.url));
  } finally {
    await postgres.drop();
  }
}
folder.remove();

console.log(
  `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
    .map((load) => fmt(load, 1))
    .join(
      " ",
    )} at the end, one server process, ${clients} clients in closed loops (in this process, signing), ${seconds} s each, ${new Date().toISOString()}`,
);
console.log(
  `CPU of one verifyAuthenticationResponse (ES256, in process): ${fmt(perVerification, 3)} ms`,
);
console.log(
  "| database | passkey sign-ins/s | server CPU per sign-in | password logins/s (bcrypt 12) | server CPU per login |",
);
console.log("|---|---|---|---|---|");
for (const { name, passkeys, passwords } of runs) {
  console.log(
    `| ${name} | **${fmt(passkeys.perSecond)}** (${fmt(passkeys.failures)} failed) | ${fmt(passkeys.cpuMs, 2)} ms | ${fmt(passwords.perSecond, 1)} (${fmt(passwords.failures)} failed) | ${fmt(passwords.cpuMs, 1)} ms |`,
  );
}
