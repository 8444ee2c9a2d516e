// The page under its Content-Security-Policy, in headless Chromium: every kind of page (the
// playground, an embedding, the course index, an exercise, the embed example) loads and runs
// with no CSP violation, no console error, no uncaught exception, and no request to any origin
// but its own.
const { test, expect } = require('@playwright/test');

/** Collects what must not happen while `page` is open. */
const watch = (page, origin) => {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`exception: ${e}`));
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) problems.push(`request to another origin: ${r.url()}`);
  });
  return problems;
};

/** Counts securitypolicyviolation events in every frame, from before any script of the page. */
const countViolations = (context) => context.addInitScript(() => {
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation',
    (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
});

test('every page runs under the CSP, with no error and no foreign request', async ({ page, context, baseURL }) => {
  test.setTimeout(90_000);
  const origin = new URL(baseURL).origin;
  await countViolations(context);
  const problems = watch(page, origin);

  await page.goto('/');
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  expect(csp).not.toContain(" 'unsafe-eval'");
  // Only style attributes may be inline (plotters measures label text in a styled span).
  expect(csp.replace("style-src-attr 'unsafe-inline'", '')).not.toContain('unsafe-inline');
  await page.getByTestId('play').click();
  await expect.poll(async () => page.getByTestId('sim-time').textContent()).not.toBe('0.000s');
  await page.getByTestId('tab-pane1-lag').click();
  await page.getByTestId('play').click();
  // Export's downloads are Blobs of the page's own making.
  await page.getByTestId('export').click();
  await Promise.all([page.waitForEvent('download'), page.getByTestId('export-replay.sh').click()]);
  await page.getByTestId('dialog-close').click();
  expect(await page.evaluate(() => window.cspViolations)).toEqual([]);

  for (const path of ['/?embed=groups,events&autoplay=1', '/?course', '/?exercise=idle-consumers', '/?preset=taxi&embed=windows']) {
    await page.goto(path);
    await expect(page.locator('.app')).toBeVisible();
    await page.waitForTimeout(1_000);
    expect(await page.evaluate(() => window.cspViolations), path).toEqual([]);
  }
  await page.goto('/embed-example.html');
  for (const frame of ['frame-small', 'frame-medium', 'frame-large']) {
    await expect(page.getByTestId(frame).contentFrame().getByTestId('sim-time')).not.toHaveText('0.000s', { timeout: 20_000 });
  }
  for (const frame of page.frames()) {
    expect(await frame.evaluate(() => window.cspViolations), frame.url()).toEqual([]);
  }
  expect(problems).toEqual([]);
});
