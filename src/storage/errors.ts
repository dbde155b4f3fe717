/** Typed store errors, after apiserver's storage.StorageError. `apiserver/status.ts` turns them into Status. */

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Compacted' | 'Unavailable' | 'Closed';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly key: string;

  constructor(code: StoreErrorCode, key: string, options?: ErrorOptions & { message?: string }) {
    super(options?.message ?? `${code}: ${key}`, options);
    this.name = 'StoreError';
    this.code = code;
    this.key = key;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
