import type { Kysely } from "kysely";
import type { TakeBackStep } from "../../core/store/take-back.js";
import type { Database } from "../../platform/db/schema.js";
import type { SocialTables } from "./kysely-store.js";

/**
 * A take-back step (core/store/take-back.ts): links to the account still
 * under way end. An intruder holding a session could have started "Link
 * another" with their own provider account, to finish it after the owner's
 * reset and keep a way in; a link request waiting for the password goes too.
 * Identities already linked stay, listed on /account for the owner to unlink.
 */
export const voidPendingLinks: TakeBackStep = async (db: Kysely<Database>, userId: number) => {
  const social = db.withTables<SocialTables>();
  await social.deleteFrom("social_flows").where("link_user_id", "=", userId).execute();
  await social.deleteFrom("social_link_requests").where("user_id", "=", userId).execute();
};
