import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { InvalidWebhookError } from "../../../src/capabilities/webhooks/webhooks.js";
import { cliCommand } from "../../../src/main/commands/table.js";
import { createAuth } from "../../../src/main/create-auth.js";
import { connect } from "../../../src/platform/db/connect.js";
import type { HostResolver, ResolvedAddress } from "../../../src/platform/net/checked-lookup.js";
import { runCliAsync, runCommandInProcess } from "../../helpers/cli.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";
import { request } from "../../helpers/http.js";
import { startTestServer, tempDir } from "../../helpers/server.js";
import { productionMailEnv, startSmtpServer, TEST_SECRET_KEY } from "../../helpers/smtp.js";
import { startWebhookReceiver, waitFor } from "../../helpers/webhook-receiver.js";

/** The penetration test's targets, and the other internal ranges, each in production. */
const REFUSED_AT_ADD: ReadonlyArray<readonly [string, RegExp]> = [
  ["http://127.0.0.1/hooks", /loopback/],
  ["http://localhost:8080/hooks", /loopback/],
  ["http://2130706433/hooks", /loopback/], // 127.0.0.1 as one decimal integer
  ["http://0x7f000001/hooks", /loopback/], // ... hexadecimal
  ["http://017700000001/hooks", /loopback/], // ... octal
  ["http://0x7f.0.0.1/hooks", /loopback/],
  ["http://[::ffff:127.0.0.1]/hooks", /loopback/],
  ["http://[::1]/hooks", /loopback/],
  ["http://169.254.169.254/latest/meta-data/", /link-local/],
  ["http://[::ffff:169.254.169.254]/latest/meta-data/", /link-local/],
  ["http://127.0.0.1:6379/", /loopback/], // Redis
  ["http://127.0.0.1:5432/", /loopback/], // PostgreSQL
  ["http://10.0.0.5/hooks", /private/],
  ["http://172.16.8.1/hooks", /private/],
  ["http://192.168.1.1/hooks", /private/],
  ["http://100.64.0.1/hooks", /private/],
  ["http://[fd00::1]/hooks", /unique-local/],
  ["http://[fe80::1]/hooks", /link-local/],
  ["http://0.0.0.0/hooks", /unspecified/],
  ["http://[::]/hooks", /unspecified/],
  ["http://224.0.0.1/hooks", /multicast/],
  ["http://[ff02::1]/hooks", /multicast/],
];

function productionCliEnv(dir: string): Record<string, string> {
  return {
    AUTH_MODE: "production",
    DATABASE_URL: `sqlite:${join(dir, "auth.db")}`,
    SECRET_KEY: TEST_SECRET_KEY,
    SMTP_URL: "smtp://127.0.0.1:2525",
    MAIL_FROM: "no-reply@example.test",
    PUBLIC_URL: "https://auth.example.test",
    BCRYPT_COST: "4",
  };
}

const add = (url: string, env: Record<string, string>) =>
  runCommandInProcess(cliCommand("webhook"), ["add", url, "--event", "user.created"], env);

test("production: webhook add refuses every internal target, in any spelling; nothing is stored", {
  timeout: 60_000,
}, async () => {
  const { dir, remove } = tempDir();
  const env = productionCliEnv(dir);
  try {
    for (const [url, kind] of REFUSED_AT_ADD) {
      const result = await add(url, env);
      assert.equal(result.code, 2, `${url}: ${result.stdout}`);
      assert.match(result.stderr, kind, url);
      assert.match(result.stderr, /WEBHOOK_ALLOWED_HOSTS/);
      assert.doesNotMatch(result.stdout, /whsec_/);
    }
    // The real command line, once: the process's exit status.
    const spawned = await runCliAsync(
      ["webhook", "add", "http://2130706433:6379/", "--event", "user.created"],
      env,
    );
    assert.equal(spawned.code, 2, spawned.stderr);
    assert.match(spawned.stderr, /127\.0\.0\.1 is a loopback address/);
    const listed = await runCommandInProcess(cliCommand("webhook"), ["list"], env);
    assert.match(listed.stdout, /no webhooks/);

    // Listed by the operator: allowed, in production too.
    const allowed = { ...env, WEBHOOK_ALLOWED_HOSTS: "127.0.0.1, 10.0.0.0/8" };
    assert.equal((await add("http://127.0.0.1:9000/hooks", allowed)).code, 0);
    assert.equal((await add("http://10.1.2.3/hooks", allowed)).code, 0);
    assert.equal((await add("http://192.168.1.1/hooks", allowed)).code, 2);
  } finally {
    remove();
  }
});

test("development allows loopback receivers, and refuses the other internal addresses", {
  timeout: 60_000,
}, async () => {
  const { dir, remove } = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(dir, "auth.db")}`, SECRET_KEY: TEST_SECRET_KEY };
  try {
    assert.equal((await add("http://127.0.0.1:9000/hooks", env)).code, 0);
    assert.equal((await add("http://localhost:9000/hooks", env)).code, 0);
    const metadata = await add("http://169.254.169.254/latest/meta-data/", env);
    assert.equal(metadata.code, 2);
    assert.match(metadata.stderr, /link-local/);
  } finally {
    remove();
  }
});

test("production: a name that resolves to an internal address now is refused at add", {
  timeout: 30_000,
}, async () => {
  const { dir, remove } = tempDir();
  // Stands in for DNS: these names and their addresses at the time of `add`.
  const resolve: HostResolver = async (name) => {
    const records: Record<string, ResolvedAddress[]> = {
      "intranet.example.test": [{ address: "10.20.30.40", family: 4 }],
      "public.example.test": [{ address: "203.0.113.7", family: 4 }],
    };
    const found = records[name];
    if (!found)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return found;
  };
  const service = await createAuth({
    databaseUrl: `sqlite:${join(dir, "auth.db")}`,
    mode: "production",
    secretKey: TEST_SECRET_KEY,
    webhooks: { resolve },
  });
  try {
    await assert.rejects(
      service.webhooks.add("https://intranet.example.test/hooks", ["user.created"]),
      (error: unknown) =>
        error instanceof InvalidWebhookError && /10\.20\.30\.40\) is a private/.test(error.message),
    );
    await service.webhooks.add("https://public.example.test/hooks", ["user.created"]);
    // Not resolvable yet: accepted, since every delivery resolves and checks it again.
    await service.webhooks.add("https://later.example.test/hooks", ["user.created"]);
    assert.equal((await service.webhooks.list()).length, 2);
  } finally {
    await service.close();
    remove();
  }
});

for (const factory of await testDatabases()) {
  describe(`a name that changes its address after add, on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    let database: TestDatabase;
    before(async () => {
      if (!("skip" in factory)) database = await factory.create();
    });
    after(async () => {
      await database?.drop();
    });

    test("refused at delivery (recorded as failed, the receiver never reached); a listed name is delivered", {
      timeout: 60_000,
    }, async () => {
      const smtp = await startSmtpServer();
      const receiver = await startWebhookReceiver();
      // Stands in for DNS, whose answers the test changes between add and delivery.
      const records = new Map<string, ResolvedAddress[]>([
        ["rebound.example.test", [{ address: "203.0.113.7", family: 4 }]],
        ["mixed.example.test", [{ address: "203.0.113.8", family: 4 }]],
        ["hooks.internal", [{ address: "127.0.0.1", family: 4 }]],
      ]);
      const server = await startTestServer(
        {
          ...productionMailEnv(smtp),
          DATABASE_URL: database.url,
          WEBHOOK_RETRY_BASE: "200ms",
          WEBHOOK_ALLOWED_HOSTS: "hooks.internal",
        },
        { resolveWebhookHost: async (name) => records.get(name) ?? [] },
      );
      const { db } = connect({ url: database.url });
      try {
        const endpointOf = async (host: string) =>
          (
            await server.service.webhooks.add(`http://${host}:${receiver.port}/hooks`, [
              "user.created",
            ])
          ).endpoint.id;
        const rebound = await endpointOf("rebound.example.test");
        const mixed = await endpointOf("mixed.example.test");
        const listed = await endpointOf("hooks.internal");
        // After add: one name now points at this host, the other has a private address besides.
        records.set("rebound.example.test", [{ address: "127.0.0.1", family: 4 }]);
        records.set("mixed.example.test", [
          { address: "203.0.113.8", family: 4 },
          { address: "10.0.0.8", family: 4 },
        ]);

        const form = { email: `rebind-${factory.name}@example.com`, password: "b4l0u-first-pw" };
        assert.equal((await request(server.url, "POST", "/users", { form })).status, 200);

        const rowsOf = (endpointId: number) =>
          db
            .selectFrom("webhook_deliveries")
            .select(["status", "last_error"])
            .where("endpoint_id", "=", endpointId)
            .execute();
        await waitFor(async () => {
          const refused = [...(await rowsOf(rebound)), ...(await rowsOf(mixed))];
          return refused.length === 2 && refused.every((row) => row.status === "failed");
        }, "both deliveries recorded as failed");
        assert.match(String((await rowsOf(rebound))[0]?.last_error), /127\.0\.0\.1, a loopback/);
        assert.match(String((await rowsOf(mixed))[0]?.last_error), /10\.0\.0\.8, a private/);
        await waitFor(() => receiver.received.length >= 1, "the listed name's delivery");
        assert.deepEqual(await rowsOf(listed), [], "delivered, so no row is left");
        // Connected to the address the check saw: no other resolver knows hooks.internal.
        assert.equal(receiver.received[0]?.headers.host, `hooks.internal:${receiver.port}`);

        // The service keeps serving, and `webhook test` says no more than "not delivered".
        assert.equal((await request(server.url, "GET", "/health")).status, 200);
        const tested = await server.service.webhooks.test(rebound);
        assert.deepEqual(tested?.attempt, { outcome: "failed" });
        assert.equal(receiver.received.length, 1, "the refused endpoints were never reached");
      } finally {
        await db.destroy();
        await server.close();
        await receiver.close();
        await smtp.close();
      }
    });
  });
}
