/**
 * Defaults of ResourceQuotas and LimitRanges (pkg/apis/core/v1 SetDefaults_LimitRangeItem): quantities are
 * written in canonical form, and a Container limit item gets a default limit from its max, a default request
 * from its default limit, else from its min, so the LimitRanger fills in what the range implies.
 */
import type { LimitRange, ResourceQuota } from './types.ts';
import { canonicalizeResourceList } from './quantity.ts';

export function defaultResourceQuota(rq: ResourceQuota): void {
  if (rq.spec?.hard) canonicalizeResourceList(rq.spec.hard);
  if (rq.status?.hard) canonicalizeResourceList(rq.status.hard);
  if (rq.status?.used) canonicalizeResourceList(rq.status.used);
}

export function defaultLimitRange(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    for (const part of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      const list = item[part];
      if (list) canonicalizeResourceList(list);
    }
    if (item.type !== 'Container') continue;
    const def = (item.default ??= {});
    const req = (item.defaultRequest ??= {});
    for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
    if (!Object.keys(def).length) delete item.default;
    if (!Object.keys(req).length) delete item.defaultRequest;
  }
}
