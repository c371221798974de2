import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { spawnServe, stopServers } from "../../helpers/cli.js";
import { request } from "../../helpers/http.js";
import { TEST_ENV, tempDir } from "../../helpers/server.js";
import {
  freePort,
  type ReceivedWebhook,
  startWebhookReceiver,
  waitFor,
} from "../../helpers/webhook-receiver.js";

const CLI = fileURLToPath(new URL("../../../src/cli.ts", import.meta.url));

/**
 * runCli without blocking this process: the receiver answering the CLI's
 * webhooks runs in it (spawnSync would hold its event loop for the whole run).
 */
function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function verify(secret: string, hook: ReceivedWebhook) {
  return new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as {
    type: string;
    data: Record<string, unknown>;
  };
}

test("webhook add | list | test | remove, end to end; the secret is shown once and stored sealed", {
  timeout: 120_000,
}, async () => {
  const { dir, remove } = tempDir();
  const receiver = await startWebhookReceiver();
  // No SECRET_KEY: development generates one beside the database.
  const env = { BCRYPT_COST: "4", DATABASE_URL: `sqlite:${join(dir, "auth.db")}` };
  try {
    const refusals = [
      ["add", "ftp://example.com/hooks", "--event", "user.created"],
      ["add", "file:///etc/passwd", "--event", "user.created"],
      ["add", "not a url", "--event", "user.created"],
      ["add", receiver.url],
      ["add", receiver.url, "--event", "user.exploded"],
      ["remove", "seven"],
      ["frobnicate"],
    ];
    const refused = await Promise.all(refusals.map((args) => runCli(["webhook", ...args], env)));
    refused.forEach((result, index) => {
      assert.equal(result.code, 2, `${refusals[index]?.join(" ")}: ${result.stderr}`);
    });
    assert.match(refused[0]?.stderr ?? "", /must be http:\/\/ or https:\/\//);

    const added = await runCli(
      ["webhook", "add", receiver.url, "--event", "user.created", "--event", "session.created"],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    const lines = added.stdout.trim().split("\n");
    const secret = lines.at(-1) as string;
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(secret.slice(6), "base64").length, 32);
    assert.equal(added.stdout.split(secret).length, 2, "printed once");
    const keyFile = join(dir, "auth.db.secret-key");
    assert.ok(existsSync(keyFile), "development made its key file beside the database");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);

    const listed = await runCli(["webhook", "list"], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`^1  ${receiver.url}  user\\.created,session\\.created  created \\d{4}-`),
    );
    const json = await runCli(["webhook", "list", "--json"], env);
    const [endpoint] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(endpoint ?? {}).sort(), ["createdAt", "events", "id", "url"]);
    for (const output of [listed.stdout, json.stdout, listed.stderr]) {
      assert.equal(output.includes(secret.slice(6, 20)), false, "list never shows the secret");
    }

    // Not in the database file in clear, in any form (the WAL holds recent writes).
    const bytes = Buffer.concat(
      ["auth.db", "auth.db-wal"]
        .map((name) => join(dir, name))
        .filter((path) => existsSync(path))
        .map((path) => readFileSync(path)),
    );
    assert.ok(bytes.includes(Buffer.from(receiver.url)), "looked at the right file");
    for (const form of [secret, secret.slice(6), Buffer.from(secret.slice(6), "base64")]) {
      assert.equal(bytes.includes(form), false);
    }

    const tested = await runCli(["webhook", "test", "1"], env);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /^delivered msg_\S+ to webhook 1$/m);
    assert.equal(receiver.received.length, 1);
    const payload = verify(secret, receiver.received[0] as ReceivedWebhook);
    assert.equal(payload.type, "webhook.test");

    receiver.answer(500);
    const failing = await runCli(["webhook", "test", "1"], env);
    assert.equal(failing.code, 1);
    // Delivered or not, nothing more: no status, no error text (a port scanner's answers).
    assert.match(failing.stdout, /^not delivered msg_\S+ to webhook 1 \(/m);
    assert.doesNotMatch(failing.stdout, /500|HTTP|ECONN|refused|timeout/i);
    assert.equal((await runCli(["webhook", "test", "9"], env)).code, 1);

    const removed = await runCli(["webhook", "remove", "1"], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await runCli(["webhook", "remove", "1"], env)).code, 1);
    assert.match((await runCli(["webhook", "list"], env)).stdout, /no webhooks/);
  } finally {
    await receiver.close();
    remove();
  }
});

test("an operator's user, and a server killed (SIGKILL) right after answering: both delivered", {
  timeout: 120_000,
}, async () => {
  const { dir, remove } = tempDir();
  const port = await freePort();
  const env = {
    ...TEST_ENV,
    DATABASE_URL: `sqlite:${join(dir, "auth.db")}`,
    SECRET_KEY: "a1".repeat(32),
    LOG_LEVEL: "info", // spawnServe waits for the "listening" line
    WEBHOOK_RETRY_BASE: "100ms",
    WEBHOOK_TIMEOUT: "1s",
  };
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
  try {
    const added = await runCli(
      ["webhook", "add", `http://127.0.0.1:${port}/hooks`, "--event", "user.created"],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    const secret = added.stdout.trim().split("\n").at(-1) as string;
    // Queued by the CLI process, which delivers nothing itself.
    assert.equal(
      (await runCli(["user", "create", "ops@example.com"], env, "s3cret-pass\n")).code,
      0,
    );

    // Nobody listens yet: the server's attempts fail; it is killed right after its answer.
    const first = await spawnServe(env);
    const registered = await request(first.url, "POST", "/users", {
      form: { email: "killed@example.com", password: "s3cret-pass" },
    });
    first.child.kill("SIGKILL");
    await first.exited;
    assert.equal(registered.status, 200);

    receiver = await startWebhookReceiver({ port });
    const up = receiver;
    const second = await spawnServe(env);
    try {
      await waitFor(() => up.received.length >= 2, "both deliveries after the restart", 60_000);
    } finally {
      await stopServers([second]);
    }
    const emails = up.received
      .map((hook) => verify(secret, hook))
      .map((payload) => (payload.data.user as { email: string }).email)
      .sort();
    assert.deepEqual(emails, ["killed@example.com", "ops@example.com"]);
  } finally {
    await receiver?.close();
    remove();
  }
});

test("production without SECRET_KEY: webhook add refuses, naming it", {
  timeout: 60_000,
}, async () => {
  const { dir, remove } = tempDir();
  try {
    const result = await runCli(
      ["webhook", "add", "https://hooks.example.test/in", "--event", "user.created"],
      {
        AUTH_MODE: "production",
        DATABASE_URL: `sqlite:${join(dir, "auth.db")}`,
        SMTP_URL: "smtp://127.0.0.1:2525",
        MAIL_FROM: "no-reply@example.test",
        PUBLIC_URL: "https://auth.example.test",
      },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /SECRET_KEY is required in production/);
    assert.doesNotMatch(result.stdout, /whsec_/);
    assert.equal(
      existsSync(join(dir, "auth.db.secret-key")),
      false,
      "production makes no key file",
    );
  } finally {
    remove();
  }
});
