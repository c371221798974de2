import type BetterSqlite3 from "better-sqlite3";
import type { CompiledQuery, OnConflictUpdateBuilder } from "kysely";
import type { Transaction } from "../../core/unit-of-work.js";
import { type AnswerCache, readThrough } from "../../platform/db/answer-cache.js";
import { HotQuery } from "../../platform/db/hot-query.js";
import { executorOf } from "../../platform/db/transaction.js";
import { num, type OidcDb, type OidcTables } from "./store.js";

/** A user's grant to a client (what the account page lists as an application with access). */
export interface AccountGrant {
  grantId: string;
  clientId: string;
  scopes: string[];
  grantedAt: Date;
}

/** A row of oidc_payloads as oidc-provider's adapter hands it back. */
export interface PayloadRow {
  payload: string;
  consumed_at: number | string | null;
  expires_at: number | string | null;
}

/**
 * The models a grant's revocation deletes (as oidc-provider's own adapter
 * does): its codes and tokens. An interaction names the grant it extends too,
 * and must outlive its revocation (an account switch revokes the older
 * session's grants, then resumes the interaction).
 */
const GRANTABLE = [
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
  "PreAuthorizedCode",
];

/** The columns an upsert writes, in the order of its parameters (the first two are the key). */
const UPSERT_COLUMNS = [
  "model",
  "id",
  "payload",
  "grant_id",
  "user_code",
  "uid",
  "account_id",
  "expires_at",
] as const;

/**
 * The rows that may be kept in memory (over PostgreSQL, open-stores.ts):
 * each changes only by a deletion or by an update that sends a notice
 * (migrations 0018 and 0019), unlike refresh tokens and codes, whose
 * consumption sends none.
 */
const KEPT_MODELS = new Set(["AccessToken", "ClientCredentials", "Grant"]);

/**
 * Opaque tokens, kept under their id alone: oidc-provider draws each id at
 * random (256 bits), so an id found as one of these models is none of the
 * others, and introspection's lookup of a token under every model (it does
 * not know which) is answered from memory for all of them.
 */
const TOKEN_MODELS = new Set(["AccessToken", "ClientCredentials", "RefreshToken"]);

/** A kept row, and the model it was found as. */
export interface KeptPayload {
  model: string;
  row: PayloadRow;
}

/** Where a model's row is kept, or undefined for a model never kept nor answered from memory. */
function keptKey(model: string, id: string): string | undefined {
  if (TOKEN_MODELS.has(model)) return `token:${id}`;
  if (model === "Grant") return `grant:${id}`;
  return undefined;
}

/** How long a kept row with no expiry of its own is kept (a change ends it sooner). */
const KEEP_UNDATED_MS = 10 * 60_000;

/** An upsert of one row (UPSERT_COLUMNS), its conflict update shaped by `onConflict`. */
function upsertQuery(
  db: OidcDb,
  onConflict: (
    update: OnConflictUpdateBuilder<OidcTables, "oidc_payloads">,
  ) => OnConflictUpdateBuilder<OidcTables, "oidc_payloads">,
) {
  return db
    .insertInto("oidc_payloads")
    .values(Object.fromEntries(UPSERT_COLUMNS.map((column) => [column, ""])) as never)
    .onConflict((oc) =>
      onConflict(
        oc
          .columns(["model", "id"])
          .doUpdateSet((eb) =>
            Object.fromEntries(
              UPSERT_COLUMNS.slice(2).map((column) => [column, eb.ref(`excluded.${column}`)]),
            ),
          ),
      ),
    );
}

/** An upsert's parameters, in the order of UPSERT_COLUMNS: the payload and the columns it is looked up by. */
function upsertParameters(
  model: string,
  id: string,
  payload: Record<string, unknown>,
  expiresInSeconds: number | undefined,
  now: number,
): unknown[] {
  const row: Record<(typeof UPSERT_COLUMNS)[number], string | number | null> = {
    model,
    id,
    payload: JSON.stringify(payload),
    grant_id:
      GRANTABLE.includes(model) && typeof payload.grantId === "string" ? payload.grantId : null,
    user_code: typeof payload.userCode === "string" ? payload.userCode : null,
    uid: typeof payload.uid === "string" ? payload.uid : null,
    account_id: typeof payload.accountId === "string" ? payload.accountId : null,
    expires_at: expiresInSeconds ? now + expiresInSeconds * 1000 : null,
  };
  return UPSERT_COLUMNS.map((column) => row[column]);
}

/** What oidc-provider keeps (sessions, interactions, codes, tokens, grants), one row per model and id. */
export class PayloadStore {
  readonly #hot;
  readonly #kept: AnswerCache<KeptPayload> | undefined;

  /**
   * `sqlite`: the raw connection, for the statements of every token request
   * (HotQuery). `kept`: the rows of KEPT_MODELS kept in memory between
   * changes (over PostgreSQL, open-stores.ts).
   */
  constructor(
    private readonly db: OidcDb,
    private readonly now: () => number = Date.now,
    sqlite?: BetterSqlite3.Database,
    kept?: AnswerCache<KeptPayload>,
  ) {
    this.#kept = kept;
    const hot = <Row>(query: { compile(): CompiledQuery<Row> }, options?: { alone: boolean }) =>
      new HotQuery(db as never, query.compile(), sqlite, options);
    const payloads = db.selectFrom("oidc_payloads");
    this.#hot = {
      // Parameters in the order of UPSERT_COLUMNS.
      upsert: hot(upsertQuery(db, (update) => update)),
      // Parameters in the order of UPSERT_COLUMNS, then now: a row is
      // written only if there was none or it has expired.
      claim: hot(upsertQuery(db, (update) => update.where("oidc_payloads.expires_at", "<=", 0))),
      // Parameters: model, id.
      findById: hot(
        payloads
          .select(["payload", "consumed_at", "expires_at"])
          .where("model", "=", "")
          .where("id", "=", ""),
      ),
      // Parameters: now, model, id. Never in a PostgreSQL group: its
      // answer is a reuse or not, and must not wait on another write's lock.
      consume: hot(
        db
          .updateTable("oidc_payloads")
          .set({ consumed_at: 0 })
          .where("model", "=", "")
          .where("id", "=", "")
          .where("consumed_at", "is", null),
        { alone: true },
      ),
    };
  }

  async upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresInSeconds: number | undefined,
  ): Promise<void> {
    const parameters = upsertParameters(model, id, payload, expiresInSeconds, this.now());
    // A grant's new consent: nothing read before the write is kept after it.
    this.#forgetKept(model, id);
    await this.#hot.upsert.changes(parameters, `${model}:${id}`);
    this.#forgetKept(model, id);
  }

  /**
   * Writes the row unless a live one has this id, in one statement; true
   * when it did. Two requests claiming one id at once, in one process or
   * several, cannot both win (oidc-provider's own check finds, then writes).
   */
  async claimOnce(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresInSeconds: number,
  ): Promise<boolean> {
    const now = this.now();
    const parameters = [
      ...upsertParameters(model, id, payload, Math.max(expiresInSeconds, 1), now),
      now,
    ];
    return (await this.#hot.claim.changes(parameters, `${model}:${id}`)) > 0;
  }

  async find(
    model: string,
    where: "id" | "user_code" | "uid",
    value: string,
  ): Promise<Record<string, unknown> | undefined> {
    const row =
      where === "id"
        ? await this.#rowById(model, value)
        : await this.db
            .selectFrom("oidc_payloads")
            .select(["payload", "consumed_at", "expires_at"])
            .where("model", "=", model)
            .where(where, "=", value)
            .executeTakeFirst();
    if (!row) return undefined;
    const expiresAt = num(row.expires_at);
    if (expiresAt !== null && expiresAt <= this.now()) return undefined;
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    const consumed = num(row.consumed_at);
    return consumed === null ? payload : { ...payload, consumed: Math.floor(consumed / 1000) };
  }

  async #rowById(model: string, id: string): Promise<PayloadRow | undefined> {
    const read = async () => (await this.#hot.findById.rows([model, id]))[0];
    const key = keptKey(model, id);
    if (key === undefined || !this.#kept) return read();
    const now = this.now();
    const found = await readThrough(
      this.#kept,
      key,
      now,
      async () => {
        const row = await read();
        return row && { model, row };
      },
      (kept) =>
        KEPT_MODELS.has(kept.model)
          ? (num(kept.row.expires_at) ?? now + KEEP_UNDATED_MS)
          : undefined,
    );
    // A token kept as another model: this id is not one of this model's.
    return found?.model === model ? found.row : undefined;
  }

  /** Drops what is kept of a row of a kept model this process changes. */
  #forgetKept(model: string, id: string): void {
    const key = KEPT_MODELS.has(model) ? keptKey(model, id) : undefined;
    if (key) this.#kept?.forgetOne(key);
  }

  /** Marks it used; false when it was already (another request won the race). */
  async consume(model: string, id: string): Promise<boolean> {
    const consumed =
      (await this.#hot.consume.changes([this.now(), model, id], `${model}:${id}`)) > 0;
    // oidc-provider consumes codes and refresh tokens, never kept; this keeps it true of any model.
    this.#forgetKept(model, id);
    return consumed;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db
      .deleteFrom("oidc_payloads")
      .where("model", "=", model)
      .where("id", "=", id)
      .execute();
  }

  /** Every token and code of the grant, and the grant itself. */
  async revokeByGrantId(grantId: string, tx?: Transaction): Promise<void> {
    await (executorOf(this.db as never, tx) as unknown as OidcDb)
      .deleteFrom("oidc_payloads")
      .where((eb) =>
        eb.or([
          eb.and([eb("grant_id", "=", grantId), eb("model", "in", GRANTABLE)]),
          eb.and([eb("model", "=", "Grant"), eb("id", "=", grantId)]),
        ]),
      )
      .execute();
  }

  /** The live grants of a `sub`, oldest first: which client, its scopes, since when. */
  async grantsOf(sub: string, tx?: Transaction): Promise<AccountGrant[]> {
    const rows = await (executorOf(this.db as never, tx) as unknown as OidcDb)
      .selectFrom("oidc_payloads")
      .select(["id", "payload", "expires_at"])
      .where("model", "=", "Grant")
      .where("account_id", "=", sub)
      .execute();
    const now = this.now();
    return rows
      .filter((row) => row.expires_at === null || Number(row.expires_at) > now)
      .map((row) => {
        const payload = JSON.parse(row.payload) as {
          clientId?: unknown;
          iat?: unknown;
          openid?: { scope?: unknown };
        };
        const scope = typeof payload.openid?.scope === "string" ? payload.openid.scope : "";
        return {
          grantId: row.id,
          clientId: String(payload.clientId ?? ""),
          scopes: scope.split(" ").filter(Boolean),
          grantedAt: new Date(typeof payload.iat === "number" ? payload.iat * 1000 : now),
        };
      })
      .sort((a, b) => a.grantedAt.getTime() - b.grantedAt.getTime());
  }

  /**
   * Revokes every grant of a `sub` to one client, with their tokens and
   * codes, in the caller's transaction; returns how many grants went.
   */
  async revokeGrantsOf(sub: string, clientId: string, tx?: Transaction): Promise<number> {
    const grants = (await this.grantsOf(sub, tx)).filter((grant) => grant.clientId === clientId);
    for (const grant of grants) await this.revokeByGrantId(grant.grantId, tx);
    return grants.length;
  }

  /** Deletes what expired; returns how many rows. */
  async purgeExpired(): Promise<number> {
    const result = await this.db
      .deleteFrom("oidc_payloads")
      .where("expires_at", "<=", this.now())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
