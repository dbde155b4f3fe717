/** A resource quantity as a plain number of base units (cores, bytes), for the downward API's arithmetic. */
import { parseQuantity } from '../../api/index.ts';

/** The quantity's value in base units. Throws the API's quantity error on malformed input. */
export function quantityValue(q: string | number): number {
  if (typeof q === 'number') return q;
  return Number(parseQuantity(q).nano) / 1e9;
}
