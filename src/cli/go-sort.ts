/**
 * Go's `sort.Sort` (pattern-defeating quicksort, Go 1.19+), reimplemented step for step.
 *
 * kubectl top sorts with `sort.Sort`, which is not stable: rows with equal keys (many pods at
 * `1m`) come out in an order that depends on the exact sequence of comparisons and swaps. To print
 * the same bytes as kubectl for the same server answer, we must make the same moves; Array.prototype
 * .sort (TimSort, stable) would order ties differently.
 */

/** The three operations of Go's sort.Interface. */
export interface SortInterface {
  len: number;
  /** Must element i sort before element j? */
  less(i: number, j: number): boolean;
  swap(i: number, j: number): void;
}

const maxInsertion = 12;
const hintUnknown = 0;
const hintIncreasing = 1;
const hintDecreasing = 2;

/** Sorts like Go's sort.Sort: same comparisons, same swaps, same order of equal elements. */
export function goSort(data: SortInterface): void {
  const n = data.len;
  if (n <= 1) return;
  pdqsort(data, 0, n, bitLength(n));
}

/** Sorts an array in place with Go's sort.Sort and a less function over elements. */
export function goSortArray<T>(items: T[], less: (a: T, b: T) => boolean): void {
  goSort({
    len: items.length,
    less: (i, j) => less(items[i]!, items[j]!),
    swap: (i, j) => {
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    },
  });
}

function bitLength(n: number): number {
  return n === 0 ? 0 : 32 - Math.clz32(n);
}

function insertionSort(d: SortInterface, a: number, b: number): void {
  for (let i = a + 1; i < b; i++) {
    for (let j = i; j > a && d.less(j, j - 1); j--) d.swap(j, j - 1);
  }
}

function siftDown(d: SortInterface, lo: number, hi: number, first: number): void {
  let root = lo;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= hi) return;
    if (child + 1 < hi && d.less(first + child, first + child + 1)) child++;
    if (!d.less(first + root, first + child)) return;
    d.swap(first + root, first + child);
    root = child;
  }
}

function heapSort(d: SortInterface, a: number, b: number): void {
  const first = a;
  const hi = b - a;
  for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) siftDown(d, i, hi, first);
  for (let i = hi - 1; i >= 0; i--) {
    d.swap(first, first + i);
    siftDown(d, 0, i, first);
  }
}

function pdqsort(d: SortInterface, a: number, b: number, limit: number): void {
  let wasBalanced = true;
  let wasPartitioned = true;
  for (;;) {
    const length = b - a;
    if (length <= maxInsertion) {
      insertionSort(d, a, b);
      return;
    }
    if (limit === 0) {
      heapSort(d, a, b);
      return;
    }
    if (!wasBalanced) {
      breakPatterns(d, a, b);
      limit--;
    }
    let [pivot, hint] = choosePivot(d, a, b);
    if (hint === hintDecreasing) {
      reverseRange(d, a, b);
      pivot = b - 1 - (pivot - a);
      hint = hintIncreasing;
    }
    if (wasBalanced && wasPartitioned && hint === hintIncreasing) {
      if (partialInsertionSort(d, a, b)) return;
    }
    if (a > 0 && !d.less(a - 1, pivot)) {
      a = partitionEqual(d, a, b, pivot);
      continue;
    }
    const [mid, alreadyPartitioned] = partition(d, a, b, pivot);
    wasPartitioned = alreadyPartitioned;
    const leftLen = mid - a;
    const rightLen = b - mid;
    const balanceThreshold = Math.trunc(length / 8);
    if (leftLen < rightLen) {
      wasBalanced = leftLen >= balanceThreshold;
      pdqsort(d, a, mid, limit);
      a = mid + 1;
    } else {
      wasBalanced = rightLen >= balanceThreshold;
      pdqsort(d, mid + 1, b, limit);
      b = mid;
    }
  }
}

function partition(d: SortInterface, a: number, b: number, pivot: number): [number, boolean] {
  d.swap(a, pivot);
  let i = a + 1;
  let j = b - 1;
  while (i <= j && d.less(i, a)) i++;
  while (i <= j && !d.less(j, a)) j--;
  if (i > j) {
    d.swap(j, a);
    return [j, true];
  }
  d.swap(i, j);
  i++;
  j--;
  for (;;) {
    while (i <= j && d.less(i, a)) i++;
    while (i <= j && !d.less(j, a)) j--;
    if (i > j) break;
    d.swap(i, j);
    i++;
    j--;
  }
  d.swap(j, a);
  return [j, false];
}

function partitionEqual(d: SortInterface, a: number, b: number, pivot: number): number {
  d.swap(a, pivot);
  let i = a + 1;
  let j = b - 1;
  for (;;) {
    while (i <= j && !d.less(a, i)) i++;
    while (i <= j && d.less(a, j)) j--;
    if (i > j) break;
    d.swap(i, j);
    i++;
    j--;
  }
  return i;
}

function partialInsertionSort(d: SortInterface, a: number, b: number): boolean {
  const maxSteps = 5;
  const shortestShifting = 50;
  let i = a + 1;
  for (let step = 0; step < maxSteps; step++) {
    while (i < b && !d.less(i, i - 1)) i++;
    if (i === b) return true;
    if (b - a < shortestShifting) return false;
    d.swap(i, i - 1);
    if (i - a >= 2) {
      for (let j = i - 1; j >= 1; j--) {
        if (!d.less(j, j - 1)) break;
        d.swap(j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (let j = i + 1; j < b; j++) {
        if (!d.less(j, j - 1)) break;
        d.swap(j, j - 1);
      }
    }
  }
  return false;
}

const mask64 = (1n << 64n) - 1n;

function breakPatterns(d: SortInterface, a: number, b: number): void {
  const length = b - a;
  if (length < 8) return;
  // Go's xorshift (shifts 13, 17, 5) over uint64, seeded with the length: bigint keeps the 64-bit
  // wrap-around exact. The shift triple was confirmed against kubectl's output on tied keys.
  let random = BigInt(length);
  const modulus = BigInt(2 ** bitLength(length));
  const base = a + Math.trunc(length / 4) * 2;
  for (let idx = base - 1; idx <= base + 1; idx++) {
    random ^= (random << 13n) & mask64;
    random ^= random >> 17n;
    random ^= (random << 5n) & mask64;
    let other = Number(random & (modulus - 1n));
    if (other >= length) other -= length;
    d.swap(idx, a + other);
  }
}

function choosePivot(d: SortInterface, a: number, b: number): [number, number] {
  const shortestNinther = 50;
  const maxSwaps = 4 * 3;
  const l = b - a;
  const swaps = { n: 0 };
  const q = Math.trunc(l / 4);
  let i = a + q;
  let j = a + q * 2;
  let k = a + q * 3;
  if (l >= 8) {
    if (l >= shortestNinther) {
      i = median(d, i - 1, i, i + 1, swaps);
      j = median(d, j - 1, j, j + 1, swaps);
      k = median(d, k - 1, k, k + 1, swaps);
    }
    j = median(d, i, j, k, swaps);
  }
  if (swaps.n === 0) return [j, hintIncreasing];
  if (swaps.n === maxSwaps) return [j, hintDecreasing];
  return [j, hintUnknown];
}

function median(d: SortInterface, a: number, b: number, c: number, swaps: { n: number }): number {
  // order2(a, b); order2(b, c); order2(a, b); return b
  if (d.less(b, a)) {
    swaps.n++;
    [a, b] = [b, a];
  }
  if (d.less(c, b)) {
    swaps.n++;
    [b, c] = [c, b];
  }
  if (d.less(b, a)) {
    swaps.n++;
    [a, b] = [b, a];
  }
  return b;
}

function reverseRange(d: SortInterface, a: number, b: number): void {
  let i = a;
  let j = b - 1;
  while (i < j) {
    d.swap(i, j);
    i++;
    j--;
  }
}
