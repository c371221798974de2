import { InvalidRequestError, NoResultFound, ValueError } from "../core/errors.js";
import type { AuthStore, UserChanges, UserCriteria } from "../core/store.js";
import type { UserRecord } from "../core/user.js";

/**
 * User attributes by the names callers may use: ours (camelCase) and the
 * original Python model's column names, so ported code keeps working.
 */
const CRITERIA: Record<string, { key: keyof UserCriteria; type: "integer" | "string" | "date" }> = {
  id: { key: "id", type: "integer" },
  email: { key: "email", type: "string" },
  hashedPassword: { key: "hashedPassword", type: "string" },
  hashed_password: { key: "hashedPassword", type: "string" },
  createdAt: { key: "createdAt", type: "date" },
  created_at: { key: "createdAt", type: "date" },
  updatedAt: { key: "updatedAt", type: "date" },
  updated_at: { key: "updatedAt", type: "date" },
};

const CHANGEABLE: Record<string, keyof UserChanges> = {
  email: "email",
  hashedPassword: "hashedPassword",
  hashed_password: "hashedPassword",
};

/**
 * The original service's `DB` class: add, find and update users. Sessions and
 * reset tokens are not user columns any more; use `Auth` for them.
 */
export class DB {
  readonly #store: AuthStore;
  readonly #now: () => Date;

  constructor(store: AuthStore, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * Saves a user with an already hashed password and returns it.
   * @throws UserAlreadyExistsError when the email is taken (case-insensitively).
   */
  async addUser(email: string, hashedPassword: string): Promise<UserRecord> {
    if (typeof email !== "string" || typeof hashedPassword !== "string") {
      throw new ValueError("email and hashedPassword must be strings");
    }
    return this.#store.insertUser(email, hashedPassword, this.#now());
  }

  /**
   * The first user matching every criterion (`email` case-insensitively).
   * @throws InvalidRequestError when the criteria are empty, name no user
   *   attribute, or hold a value of the wrong type; NoResultFound when no user
   *   matches (a null or undefined value never matches).
   */
  async findUserBy(criteria: Record<string, unknown>): Promise<UserRecord> {
    const entries = Object.entries(criteria ?? {});
    if (entries.length === 0)
      throw new InvalidRequestError("findUserBy needs at least one criterion");
    const checked: Record<string, unknown> = {};
    for (const [name, value] of entries) {
      const attribute = CRITERIA[name];
      if (!attribute) throw new InvalidRequestError(`${name} is not a user attribute`);
      if (value !== null && value !== undefined && !hasType(value, attribute.type)) {
        throw new InvalidRequestError(
          `${name} must be ${attribute.type === "integer" ? "an" : "a"} ${attribute.type}`,
        );
      }
      checked[attribute.key] = value;
    }
    const user = await this.#store.findUser(checked as UserCriteria);
    if (!user) throw new NoResultFound();
    return user;
  }

  /**
   * Changes attributes of the user with this id.
   * @throws ValueError when a key is not a changeable user attribute or a value
   *   is not a string; NoResultFound when no user has this id.
   */
  async updateUser(id: number, changes: Record<string, unknown>): Promise<void> {
    const checked: UserChanges = {};
    for (const [name, value] of Object.entries(changes ?? {})) {
      const key = CHANGEABLE[name];
      if (!key) {
        throw new ValueError(
          name in CRITERIA ? `${name} cannot be changed` : `${name} is not a user attribute`,
        );
      }
      if (typeof value !== "string") throw new ValueError(`${name} must be a string`);
      checked[key] = value;
    }
    if (!Number.isSafeInteger(id) || !(await this.#store.updateUser(id, checked, this.#now()))) {
      throw new NoResultFound(`no user with id ${String(id)}`);
    }
  }
}

function hasType(value: unknown, type: "integer" | "string" | "date"): boolean {
  if (type === "integer") return Number.isSafeInteger(value);
  if (type === "string") return typeof value === "string";
  return value instanceof Date && !Number.isNaN(value.getTime());
}
