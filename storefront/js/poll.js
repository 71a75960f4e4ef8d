// Following something asynchronous: ask again with a growing pause (backoff) until it is done, the page is left,
// or the deadline passes. ``probe`` returns true when done; a thrown error is shown by ``onError`` and retried.
export async function pollUntil(probe, { firstMs = 400, maxMs = 4000, deadlineMs = Infinity, left = () => false, onError = () => {} } = {}) {
  const started = Date.now();
  let wait = firstMs;
  while (Date.now() - started < deadlineMs) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    if (left()) return false;
    wait = Math.min(maxMs, Math.round(wait * 1.5));
    try {
      if (await probe()) return true;
    } catch (err) {
      onError(err);
    }
  }
  return false;
}
