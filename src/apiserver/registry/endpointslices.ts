/**
 * EndpointSlices (upstream's registry/discovery/endpointslice strategy): generation starts at 1 and goes up on
 * every update that changes anything outside metadata, or the labels. The EndpointSlice controller's tracker
 * relies on it to tell its own recent writes from a stale informer cache.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ResourceInfo } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

function content(obj: KubeObject): unknown {
  const { metadata, apiVersion: _a, kind: _k, ...rest } = obj;
  return { rest, labels: metadata?.labels ?? {} };
}

export function endpointSliceStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info);
  return {
    ...base,
    prepareForCreate(obj) {
      base.prepareForCreate(obj);
      obj.metadata!.generation = 1;
    },
    prepareForUpdate(obj, old) {
      base.prepareForUpdate(obj, old);
      const generation = old.metadata?.generation ?? 0;
      obj.metadata!.generation = isDeepStrictEqual(content(obj), content(old)) ? generation : generation + 1;
    },
  };
}
