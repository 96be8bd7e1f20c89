/**
 * Per-pass caches (open cgroup files, readings, directory listings, the kubepods walk) stamp each
 * entry with the pass that last used it and, when a pass ends, forget the entries it did not use.
 */

/**
 * Delete the entries of `map` not stamped with `pass`, calling `onDrop` on each first; returns how
 * many entries stay. forEach rather than for…of over entries: without V8's optimizing compilers
 * (the agent's default) the latter makes a [key, value] array per entry, every pass.
 */
export function dropUnstamped<K, V extends { pass: number }>(map: Map<K, V>, pass: number, onDrop?: (value: V) => void): number {
  let kept = 0;
  map.forEach((value, key) => {
    if (value.pass === pass) kept++;
    else {
      onDrop?.(value);
      map.delete(key);
    }
  });
  return kept;
}
