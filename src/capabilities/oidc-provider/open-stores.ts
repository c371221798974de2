import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import { mapUnavailable } from "../../core/store/map-unavailable.js";
import { invalidatingWrites } from "../../core/store/session-cache.js";
import type { NoticeChannel } from "../../core/store/session-change-listener.js";
import type { SecretBox } from "../../platform/crypto/secret-box.js";
import type { AnswerCache } from "../../platform/db/answer-cache.js";
import { CommitScopedCache } from "../../platform/db/commit-scoped-cache.js";
import { SESSION_CHANGES_CHANNEL } from "../../platform/db/migrations/0008-session-change-notices.js";
import { OIDC_CHANGES_CHANNEL } from "../../platform/db/migrations/0018-oidc-change-notices.js";
import { type ChangeNotices, NoticeScopedCache } from "../../platform/db/notice-scoped-cache.js";
import type { Database } from "../../platform/db/schema.js";
import { ClientStore, type StoredClient } from "./clients.js";
import { SigningKeys } from "./keys.js";
import { type KeptPayload, PayloadStore } from "./payload-store.js";
import { type OidcAccount, type OidcDb, SubjectStore } from "./store.js";

/** The provider's stores over the service's database, made by createAuth. */
export interface OidcStores {
  payloads: PayloadStore;
  subjects: SubjectStore;
  clients: ClientStore;
  keys: SigningKeys;
  /** The provider's cookie key, derived from SECRET_KEY. */
  cookieKey: () => string;
  /** userinfo's answers, kept until a change (FastUserinfo); none with SESSION_CACHE=false. */
  userinfoAnswers?: AnswerCache<Record<string, unknown>>;
}

/** Enough for every live access token (or client) of a busy process; past it a cache starts over. */
const MAX_KEPT_ANSWERS = 50_000;

/**
 * The writes of this process after which a kept answer or row may be wrong
 * (a token, grant or client gone, a take-back): over PostgreSQL they empty
 * the caches before and after, and after their transaction commits, so this
 * process never answers from before a change it has itself reported done;
 * other instances' changes arrive as notices.
 */
const PAYLOAD_WRITES = new Set([
  // Not upsert: a new token changes no kept answer, a grant's update only
  // widens it at a new consent (the notice follows within milliseconds), and
  // the store drops a kept row it updates itself.
  "destroy",
  "revokeByGrantId",
  "revokeGrantsOf",
  "purgeExpired",
]);
const SUBJECT_WRITES = new Set(["endSessions", "deleteRowsOfDeletedUsers"]);
const CLIENT_WRITES = new Set(["delete"]);

export interface OidcStoreOptions {
  db: Kysely<Database>;
  /** The raw SQLite connection, for the hot statements and the commit-scoped cache. */
  sqlite: BetterSqlite3.Database | undefined;
  /** PostgreSQL's change listener, when the session cache runs over it. */
  notices: ChangeNotices<NoticeChannel> | undefined;
  /** PostgreSQL: also called when this process's user or session writes empty the session cache. */
  alsoForget: ((forget: () => void) => void) | undefined;
  /** SESSION_CACHE: false keeps nothing in memory. */
  cache: boolean;
  millis: () => number;
  secretBox: () => SecretBox;
}

/** The OpenID provider's stores over the service's database, each mapping an unreachable database to 503. */
export function openOidcStores(options: OidcStoreOptions): OidcStores {
  const { sqlite, millis } = options;
  const db = options.db as unknown as OidcDb;
  const answers = userinfoCache(options);
  // Over SQLite a lookup is a raw read of a few microseconds, and any commit would empty a cache.
  const kept =
    sqlite || !options.cache || !options.notices
      ? undefined
      : {
          clientRows: noticeCache<StoredClient>(options, [OIDC_CHANGES_CHANNEL]),
          payloadRows: noticeCache<KeptPayload>(options, [OIDC_CHANGES_CHANNEL]),
          // A user's email and verification are on the users row (session notices).
          accounts: noticeCache<OidcAccount>(options, [
            SESSION_CHANGES_CHANNEL,
            OIDC_CHANGES_CHANNEL,
          ]),
        };
  // Every kept thing at once: these writes are rare (revocations, take-backs, deletions).
  const forgetAll = () => {
    answers?.forget();
    kept?.clientRows?.forget();
    kept?.payloadRows?.forget();
    kept?.accounts?.forget();
  };
  // This process's user writes (a deletion's erasure among them) reach no store here.
  if (kept) options.alsoForget?.(forgetAll);
  const watched = <S extends object>(store: S, writes: ReadonlySet<string>) =>
    mapUnavailable(kept ? invalidatingWrites(store, writes, forgetAll) : store);
  return {
    payloads: watched(new PayloadStore(db, millis, sqlite, kept?.payloadRows), PAYLOAD_WRITES),
    subjects: watched(new SubjectStore(db, sqlite, kept?.accounts), SUBJECT_WRITES),
    clients: watched(new ClientStore(db, millis, sqlite, kept?.clientRows), CLIENT_WRITES),
    keys: new SigningKeys(db, options.secretBox, millis),
    cookieKey: () => options.secretBox().deriveKey("oidc-provider cookies").toString("base64url"),
    ...(answers ? { userinfoAnswers: answers } : {}),
  };
}

/** Over SQLite, kept until any commit; over PostgreSQL, until this process's write or a notice. */
function userinfoCache(
  options: OidcStoreOptions,
): AnswerCache<Record<string, unknown>> | undefined {
  if (!options.cache) return undefined;
  if (options.sqlite) return new CommitScopedCache(options.sqlite, MAX_KEPT_ANSWERS);
  return noticeCache<Record<string, unknown>>(options, [
    SESSION_CHANGES_CHANNEL,
    OIDC_CHANGES_CHANNEL,
  ]);
}

/** Over PostgreSQL with the session cache on: kept until a notice on the channels. */
function noticeCache<V>(
  options: OidcStoreOptions,
  channels: NoticeChannel[],
): AnswerCache<V> | undefined {
  if (!options.cache || !options.notices) return undefined;
  return new NoticeScopedCache<V, NoticeChannel>(options.notices, channels, MAX_KEPT_ANSWERS);
}
