import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { SecretBox } from "../../platform/crypto/secret-box.js";
import type { OidcDb } from "./store.js";

/** The algorithms the provider holds a signing key for: those a client may choose for its ID tokens. */
export const SIGNING_ALGS = ["RS256", "ES256"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
const SEAL_CONTEXT = "oidc-signing-key";
/** How long a rotated-out key stays in the JWKS: longer than any token it signed lives. */
export const RETIRED_KEY_KEPT_MS = 24 * 60 * 60 * 1000;

function newJwk(alg: SigningAlg): Record<string, unknown> {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    ...privateKey.export({ format: "jwk" }),
    alg,
    use: "sig",
    kid: randomBytes(12).toString("base64url"),
  };
}

function publicPart(jwk: Record<string, unknown>): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

/**
 * The provider's signing keys (RS256 and ES256), in the database with the
 * private part sealed under SECRET_KEY. The first start makes generation 1 of
 * each (instances starting together agree: one insert wins per algorithm and
 * generation); `rotate` adds the next generation, which signs from the next
 * start on, and the old keys stay in the JWKS for RETIRED_KEY_KEPT_MS.
 */
export class SigningKeys {
  constructor(
    private readonly db: OidcDb,
    private readonly box: () => SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  /** The private JWKs to sign with and publish, newest generation first per algorithm. */
  async load(): Promise<Record<string, unknown>[]> {
    for (const alg of SIGNING_ALGS) await this.#insert(alg, 1, true);
    const rows = await this.db
      .selectFrom("oidc_keys")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("retired_at", "is", null),
          eb("retired_at", ">", this.now() - RETIRED_KEY_KEPT_MS),
        ]),
      )
      .orderBy("generation", "desc")
      .orderBy("alg", "desc")
      .execute();
    return rows.map((row) =>
      JSON.parse(this.box().open(row.private_jwk, SEAL_CONTEXT).toString("utf8")),
    );
  }

  /** The published keys (public parts only), as the JWKS shows them. */
  async publicKeys(): Promise<Record<string, unknown>[]> {
    return (await this.load()).map(publicPart);
  }

  /** Adds a new generation of each algorithm and retires the current one; returns the new kids. */
  async rotate(): Promise<string[]> {
    await this.load();
    const kids: string[] = [];
    for (const alg of SIGNING_ALGS) {
      const current = await this.db
        .selectFrom("oidc_keys")
        .select((eb) => eb.fn.max("generation").as("generation"))
        .where("alg", "=", alg)
        .executeTakeFirst();
      const generation = Number(current?.generation ?? 0) + 1;
      await this.db
        .updateTable("oidc_keys")
        .set({ retired_at: this.now() })
        .where("alg", "=", alg)
        .where("retired_at", "is", null)
        .execute();
      const kid = await this.#insert(alg, generation, false);
      if (kid) kids.push(kid);
    }
    return kids;
  }

  async #insert(
    alg: SigningAlg,
    generation: number,
    ifAbsent: boolean,
  ): Promise<string | undefined> {
    if (ifAbsent) {
      const exists = await this.db
        .selectFrom("oidc_keys")
        .select("id")
        .where("alg", "=", alg)
        .limit(1)
        .executeTakeFirst();
      if (exists) return undefined;
    }
    const jwk = newJwk(alg);
    const result = await this.db
      .insertInto("oidc_keys")
      .values({
        kid: jwk.kid as string,
        alg,
        generation,
        public_jwk: JSON.stringify(publicPart(jwk)),
        private_jwk: this.box().seal(JSON.stringify(jwk), SEAL_CONTEXT),
        created_at: this.now(),
      })
      .onConflict((oc) => oc.columns(["alg", "generation"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0 ? (jwk.kid as string) : undefined;
  }
}
