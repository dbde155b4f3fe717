/**
 * `deepFreeze(value)`: freezes a plain JSON-like value and everything in it, so that shared objects (the API
 * server's cached objects handed to in-process readers) cannot be changed by a reader; writing to one throws
 * a TypeError in strict code (every ES module). A frozen object is taken as frozen all the way down (only
 * deepFreeze freezes here), so freezing an object again costs one check.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}
