import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, test } from "node:test";
import { Migrator } from "kysely/migration";
import { newClientId } from "../../../src/capabilities/oidc-provider/clients.js";
import { type OidcDb, SigningKeys } from "../../../src/capabilities/oidc-provider/index.js";
import { createAuth } from "../../../src/main/create-auth.js";
import { SecretBox } from "../../../src/platform/crypto/secret-box.js";
import { connect } from "../../../src/platform/db/connect.js";
import { allMigrations } from "../../../src/platform/db/migrations/index.js";
import { type TestDatabase, testDatabases } from "../../helpers/databases.js";

const T = { timeout: 120_000 };
const SECRET = "a".repeat(64);

for (const factory of await testDatabases()) {
  describe(`the OpenID provider's stores on ${factory.name}`, {
    skip: "skip" in factory ? factory.skip : false,
  }, () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const database of databases) await database.drop();
    });
    const fresh = async () => {
      if ("skip" in factory) throw new Error("skipped");
      const database = await factory.create();
      databases.push(database);
      return database;
    };

    test("migration 0015 gives existing users an opaque sub of their own", T, async () => {
      const database = await fresh();
      const { db, dialect } = connect({ url: database.url });
      try {
        const migrations = allMigrations(dialect);
        const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
        assert.equal((await migrator.migrateTo("0013-passkeys")).error, undefined);
        for (const email of ["one@example.com", "two@example.com"])
          await db
            .insertInto("users")
            .values({
              email,
              email_normalized: email,
              hashed_password: null,
              created_at: Date.now(),
              updated_at: Date.now(),
            })
            .execute();
        assert.equal((await migrator.migrateToLatest()).error, undefined);
        const rows = await (db as unknown as OidcDb)
          .selectFrom("oidc_subjects")
          .innerJoin("users", "users.id", "oidc_subjects.user_id")
          .select(["users.id", "users.email", "oidc_subjects.sub"])
          .execute();
        assert.equal(rows.length, 2);
        assert.notEqual(rows[0]?.sub, rows[1]?.sub);
        for (const row of rows) {
          assert.match(row.sub, /^[A-Za-z0-9_-]{22}$/);
          assert.notEqual(row.sub, String(row.id));
          assert.ok(!row.sub.includes("@"));
        }
      } finally {
        await db.destroy();
      }
    });

    test("migration 0017 gives existing payload rows their account", T, async () => {
      const database = await fresh();
      const { db, dialect } = connect({ url: database.url });
      try {
        const migrations = allMigrations(dialect);
        const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
        assert.equal((await migrator.migrateTo("0015-oidc-provider")).error, undefined);
        const rows = db as unknown as OidcDb;
        for (const [model, id, payload] of [
          ["Session", "s1", { accountId: "sub-1", loginTs: 1 }],
          ["ClientCredentials", "c1", { clientId: "client" }],
        ] as const)
          await rows
            .insertInto("oidc_payloads")
            .values({ model, id, payload: JSON.stringify(payload) } as never)
            .execute();
        assert.equal((await migrator.migrateToLatest()).error, undefined);
        const migrated = await rows
          .selectFrom("oidc_payloads")
          .select(["id", "account_id"])
          .orderBy("id")
          .execute();
        assert.deepEqual(migrated, [
          { id: "c1", account_id: null },
          { id: "s1", account_id: "sub-1" },
        ]);
      } finally {
        await db.destroy();
      }
    });

    test(
      "payloads: upsert, find by id, uid and user code, expiry, one consume, grant revocation, purge",
      T,
      async () => {
        const database = await fresh();
        const service = await createAuth({
          databaseUrl: database.url,
          secretKey: SECRET,
          bcryptCost: 4,
        });
        try {
          const store = service.oidc.payloads;
          await store.upsert("RefreshToken", "rt1", { grantId: "g1", uid: "u1" }, 60);
          await store.upsert("AccessToken", "at1", { grantId: "g1" }, 60);
          await store.upsert("DeviceCode", "dc1", { userCode: "ABCD-EFGH" }, 60);
          await store.upsert("Session", "s1", { uid: "su1" }, 1);
          await store.upsert("Interaction", "i1", { grantId: "g1", uid: "iu1" }, 60);
          assert.deepEqual(await store.find("RefreshToken", "id", "rt1"), {
            grantId: "g1",
            uid: "u1",
          });
          assert.ok(await store.find("RefreshToken", "uid", "u1"));
          assert.ok(await store.find("DeviceCode", "user_code", "ABCD-EFGH"));
          // Consumed once: the second consume (a concurrent refresh) is told it lost.
          assert.equal(await store.consume("RefreshToken", "rt1"), true);
          assert.equal(await store.consume("RefreshToken", "rt1"), false);
          assert.equal(typeof (await store.find("RefreshToken", "id", "rt1"))?.consumed, "number");
          await store.revokeByGrantId("g1");
          assert.equal(await store.find("RefreshToken", "id", "rt1"), undefined);
          assert.equal(await store.find("AccessToken", "id", "at1"), undefined);
          assert.ok(await store.find("DeviceCode", "id", "dc1"));
          // An interaction extending the grant outlives its revocation (an account switch resumes it).
          assert.ok(await store.find("Interaction", "id", "i1"));
          await new Promise((resolve) => setTimeout(resolve, 1100));
          assert.equal(await store.find("Session", "id", "s1"), undefined, "expired");
          assert.ok((await store.purgeExpired()) >= 1);
        } finally {
          await service.close();
        }
      },
    );

    test(
      "a take-back deletes the user's provider sessions, grants and tokens, no one else's",
      T,
      async () => {
        const database = await fresh();
        const service = await createAuth({
          databaseUrl: database.url,
          secretKey: SECRET,
          bcryptCost: 4,
        });
        try {
          const { payloads, subjects } = service.oidc;
          const ids: number[] = [];
          for (const email of ["mine@example.com", "theirs@example.com"]) {
            const user = await service.auth.createUser(email, "correct horse battery staple");
            ids.push(user.id);
          }
          const [mine, theirs] = await Promise.all(ids.map((id) => subjects.subjectOf(id)));
          for (const [model, id, accountId] of [
            ["Session", "s-mine", mine],
            ["RefreshToken", "rt-mine", mine],
            ["Grant", "g-mine", mine],
            ["Session", "s-theirs", theirs],
          ] as const)
            await payloads.upsert(model, id, { accountId }, 60);
          await payloads.upsert("ClientCredentials", "cc", { clientId: "c" }, 60);
          await subjects.endSessions(ids[0] ?? 0, Date.now());
          for (const [model, id] of [
            ["Session", "s-mine"],
            ["RefreshToken", "rt-mine"],
            ["Grant", "g-mine"],
          ] as const)
            assert.equal(await payloads.find(model, "id", id), undefined, `${model} gone`);
          assert.ok(await payloads.find("Session", "id", "s-theirs"));
          assert.ok(await payloads.find("ClientCredentials", "id", "cc"));
          assert.equal(typeof (await subjects.accountBySubject(mine ?? ""))?.endedAt, "number");
        } finally {
          await service.close();
        }
      },
    );

    test(
      "signing keys: RS256 and ES256 made once, sealed; rotation keeps the old ones a day",
      T,
      async () => {
        const database = await fresh();
        let now = Date.now();
        const service = await createAuth({
          databaseUrl: database.url,
          secretKey: SECRET,
          bcryptCost: 4,
        });
        try {
          const db = service.oidc.keys as unknown as { db: OidcDb };
          const box = new SecretBox(Buffer.from(SECRET, "hex"));
          const keys = new SigningKeys(
            db.db,
            () => box,
            () => now,
          );
          const first = await keys.load();
          const again = await new SigningKeys(
            db.db,
            () => box,
            () => now,
          ).load();
          assert.deepEqual(
            first.map((key) => key.kid),
            again.map((key) => key.kid),
          );
          assert.deepEqual(first.map((key) => key.alg).sort(), ["ES256", "RS256"]);
          const rows = await db.db.selectFrom("oidc_keys").selectAll().execute();
          for (const row of rows) {
            assert.ok(!row.private_jwk.includes('"d"'), "the private key is sealed");
            assert.ok(!("d" in JSON.parse(row.public_jwk)));
          }
          assert.ok((await keys.publicKeys()).every((key) => !("d" in key)));
          const kids = await keys.rotate();
          assert.equal(kids.length, 2);
          const rotated = await keys.load();
          assert.equal(rotated.length, 4);
          assert.deepEqual(
            rotated
              .slice(0, 2)
              .map((key) => key.kid)
              .sort(),
            [...kids].sort(),
          );
          now += 25 * 60 * 60 * 1000;
          assert.deepEqual((await keys.load()).map((key) => key.kid).sort(), [...kids].sort());
          // Another SECRET_KEY cannot open them.
          const other = new SigningKeys(
            db.db,
            () => new SecretBox(Buffer.from("b".repeat(64), "hex")),
          );
          await assert.rejects(other.load());
        } finally {
          await service.close();
        }
      },
    );

    test("clients: a confidential client's secret is kept only as its SHA-256", T, async () => {
      const database = await fresh();
      const service = await createAuth({
        databaseUrl: database.url,
        secretKey: SECRET,
        bcryptCost: 4,
      });
      try {
        const made = await service.oidc.clients.create({
          name: "app",
          redirectUris: ["https://app.example/cb"],
          grants: ["client_credentials", "device_code"],
        });
        assert.ok(made.clientSecret);
        const metadata = await service.oidc.clients.metadataOf(made.clientId);
        assert.equal(
          metadata?.client_secret,
          createHash("sha256").update(made.clientSecret).digest("hex"),
        );
        const [listed] = await service.oidc.clients.list();
        assert.equal(listed?.clientId, made.clientId);
        assert.deepEqual(listed?.grantTypes, [
          "authorization_code",
          "refresh_token",
          "client_credentials",
          "urn:ietf:params:oauth:grant-type:device_code",
        ]);
        const publicClient = await service.oidc.clients.create({
          name: "spa",
          redirectUris: ["https://spa.example/cb"],
          isPublic: true,
        });
        assert.equal(publicClient.clientSecret, undefined);
        assert.equal(
          (await service.oidc.clients.metadataOf(publicClient.clientId))
            ?.token_endpoint_auth_method,
          "none",
        );
        assert.equal(await service.oidc.clients.delete(made.clientId), true);
        assert.equal(await service.oidc.clients.delete(made.clientId), false);
        assert.equal(await service.oidc.clients.metadataOf(made.clientId), undefined);
      } finally {
        await service.close();
      }
    });
  });
}

test("client ids never begin with a dash, which a command line would take for an option", () => {
  for (let i = 0; i < 2000; i++) assert.match(newClientId(), /^[0-9a-f]{32}$/);
});

describe("what counts as from before a take-back", () => {
  test("only a second wholly before the take-back's; a sign-in within its second is not refused", async () => {
    const { issuedBefore } = await import("../../../src/capabilities/oidc-provider/provider.js");
    const endedAt = 1_700_000_000_500;
    assert.equal(issuedBefore({ loginTs: 1_699_999_999 }, endedAt), true);
    assert.equal(issuedBefore({ loginTs: 1_700_000_000 }, endedAt), false);
    assert.equal(issuedBefore({ iiat: 1_699_999_998, iat: 1_700_000_001 }, endedAt), true);
    assert.equal(issuedBefore({ iat: 1_700_000_000 }, endedAt), false);
    assert.equal(issuedBefore(undefined, endedAt), false);
  });
});
