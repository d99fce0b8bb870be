/**
 * Objects keyed by names that come off the wire (header names, label keys, Struct keys). They have
 * no prototype, so a key such as `__proto__` or `constructor` is just a key: it can neither change
 * the object's prototype nor read a value that was never sent.
 */
export function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
