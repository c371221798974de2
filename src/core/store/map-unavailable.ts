import { isUnavailable } from "../../platform/db/unavailable.js";
import { wrapMethods } from "../../platform/db/wrap-methods.js";
import { ServiceUnavailableError } from "../errors.js";

/**
 * Wraps every method of a store so an unavailable database surfaces as the
 * domain's ServiceUnavailableError (503) instead of an unexpected error (500).
 */
export function mapUnavailable<T extends object>(store: T): T {
  return wrapMethods(store, (method) => async (...args: unknown[]) => {
    try {
      return await method(...args);
    } catch (error) {
      if (isUnavailable(error)) throw new ServiceUnavailableError(undefined, { cause: error });
      throw error;
    }
  });
}
