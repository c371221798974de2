/**
 * A proxy over a store that replaces each of its methods by `wrap(method,
 * name)`, where `method` is the store's own, bound to the store (its private
 * fields live there, not on the proxy). Each wrapper is made once, at the
 * method's first use, not on every call: the session check goes through two
 * of these on every authenticated request. Stores are class instances whose
 * methods are not reassigned. `own` methods are served as given, unwrapped;
 * properties that are not functions pass through.
 */
export function wrapMethods<T extends object>(
  store: T,
  wrap: (method: (...args: unknown[]) => unknown, name: PropertyKey) => unknown,
  own: Record<string, unknown> = {},
): T {
  const methods = new Map<PropertyKey, unknown>(Object.entries(own));
  return new Proxy(store, {
    get(target, property, receiver) {
      const known = methods.get(property);
      if (known !== undefined) return known;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const wrapper = wrap(value.bind(target), property);
      methods.set(property, wrapper);
      return wrapper;
    },
  });
}
