/**
 * Copies of texts kept for as long as their pod lives (the store's names, the API's list items):
 * one flat string each.
 */

// A character beyond one byte (the latin1 round trip is exact only without one).
const beyondOneByte = /[\u0100-\uffff]/;

/**
 * `s` with storage of its own and nothing else: no view into the text it was cut from (a kubelet
 * page's 16–64 KiB chunk) and no view into a copy (a slice of a copy costs its own 32 bytes on
 * top of the copy, about 40 % of a pod name's memory) and no tree of concatenated pieces. Exact for
 * every string: one-byte strings go through a latin1 Buffer, others (lone surrogates included)
 * through a JSON round trip.
 */
export function flatCopy(s: string): string {
  // V8 copies slices shorter than 13 characters already.
  if (s.length < 13) return s;
  return beyondOneByte.test(s) ? (JSON.parse(JSON.stringify(s)) as string) : Buffer.from(s, 'latin1').toString('latin1');
}
