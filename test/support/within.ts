// Waiting on a promise with a deadline and a fallback value, in tests (core's withTimeout is the
// one that rejects). A bare `Promise.race([p, sleep(ms)])` leaves the deadline's timer running
// once `p` wins, and a running timer holds the test file's process open after its last test: in
// the lab that was up to 90 s per file, a third of `npm test`.

/** `p`'s value, or `fallback()`'s once `ms` have passed; the timer ends either way. */
export async function orAfter<T, F>(p: Promise<T>, ms: number, fallback: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const tagged = p.then((v) => ({ v }));
  try {
    const won = await Promise.race([tagged, late]);
    return won === 'late' ? fallback() : won.v;
  } finally {
    clearTimeout(timer);
  }
}
