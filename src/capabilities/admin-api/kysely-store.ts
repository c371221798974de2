import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation, toDate } from "../../core/store/row-mapping.js";
import type { ApiKeysTable, Database } from "../../platform/db/schema.js";
import {
  ApiKeyNameTakenError,
  type ApiKeyRecord,
  type ApiKeyStore,
  isApiKeyScope,
} from "./api-keys.js";

/** The admin API's keys, in the api_keys table. */
export class KyselyApiKeyStore implements ApiKeyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insertApiKey(
    key: Omit<ApiKeyRecord, "id" | "lastUsedAt"> & { keyHash: string },
  ): Promise<void> {
    try {
      await this.#db
        .insertInto("api_keys")
        .values({
          name: key.name,
          key_hash: key.keyHash,
          display_prefix: key.displayPrefix,
          scopes: key.scopes.join(" "),
          created_at: key.createdAt.getTime(),
          expires_at: key.expiresAt?.getTime() ?? null,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiKeyNameTakenError(key.name);
      throw error;
    }
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = await this.#db
      .selectFrom("api_keys")
      .selectAll()
      .where("key_hash", "=", keyHash)
      .executeTakeFirst();
    return row ? toApiKeyRecord(row) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.#db.selectFrom("api_keys").selectAll().orderBy("name").execute();
    return rows.map(toApiKeyRecord);
  }

  async deleteApiKey(name: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("api_keys")
      .where("name", "=", name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async touchApiKey(id: number, at: Date): Promise<void> {
    await this.#db
      .updateTable("api_keys")
      .set({ last_used_at: at.getTime() })
      .where("id", "=", id)
      .execute();
  }
}

function toApiKeyRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: Number(row.id),
    name: row.name,
    displayPrefix: row.display_prefix,
    scopes: row.scopes.split(" ").filter(isApiKeyScope),
    createdAt: toDate(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : toDate(row.last_used_at),
    expiresAt: row.expires_at === null ? null : toDate(row.expires_at),
  };
}
