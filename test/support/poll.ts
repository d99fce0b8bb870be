/**
 * Polling for an outcome that arrives asynchronously. Tests wait for a condition with a generous
 * deadline instead of sleeping a fixed time, so they neither flake on a loaded machine nor wait
 * longer than needed.
 */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
