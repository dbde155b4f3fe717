/**
 * `ApiError`: a Kubernetes `Status` failure turned back into a typed error (the inverse of the API server's
 * `toStatus`). Callers branch on `reason` through `isNotFound`, `isConflict`, ... as apimachinery's
 * `errors.IsNotFound` does, never on message text.
 */
import type { IStatus } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';

export type Status = IStatus;

/** Reasons the client knows how to derive from a bare HTTP code when the body is not a Status. */
const reasonForCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class ApiError extends Error {
  /** HTTP status code (the Status `code`). */
  readonly code: number;
  /** The Status `reason` (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, `Gone`, ...). */
  readonly reason: string;
  /** The whole Status as the server sent it (or as synthesised from a non-Status body). */
  readonly status: Status;

  constructor(status: Status, options?: ErrorOptions) {
    super(status.message || `${status.reason ?? 'Unknown'} (${status.code ?? 0})`, options);
    this.name = 'ApiError';
    this.code = status.code ?? 0;
    this.reason = status.reason ?? reasonForCode[this.code] ?? 'Unknown';
    this.status = status;
  }

  /** Builds the error for a failed HTTP response from its code and (maybe Status) body. */
  static fromResponse(code: number, body: string, method: string, path: string): ApiError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && (parsed as { kind?: string }).kind === 'Status') {
      const status = parsed as Status;
      return new ApiError({ ...status, code: status.code || code });
    }
    const text = body.trim() || `${method} ${path}: HTTP ${code}`;
    return new ApiError({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      reason: reasonForCode[code] ?? 'Unknown',
      message: text,
    });
  }

  get isNotFound(): boolean {
    return this.reason === 'NotFound' || (this.code === 404 && this.reason === 'Unknown');
  }
  get isConflict(): boolean {
    return this.reason === 'Conflict';
  }
  get isAlreadyExists(): boolean {
    return this.reason === 'AlreadyExists';
  }
  /** 410: the resource version asked for is compacted away (`Expired`) or gone; the caller must list again. */
  get isGone(): boolean {
    return this.code === 410 || this.reason === 'Expired' || this.reason === 'Gone';
  }
  get isInvalid(): boolean {
    return this.reason === 'Invalid';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.isNotFound;
}
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.isConflict;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.isAlreadyExists;
}
export function isGone(err: unknown): boolean {
  return err instanceof ApiError && err.isGone;
}
export function isInvalid(err: unknown): boolean {
  return err instanceof ApiError && err.isInvalid;
}
