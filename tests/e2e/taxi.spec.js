// The taxi preset in headless Chromium: pick it (its CSV is fetched from data/), play it, crash a
// consumer, and see the rebalance and the duplicates it causes. The group stays in the second pane;
// the first pane's tabs show the outcome, the event log and the windows in turn. Saves
// target/e2e/taxi-crash.png.
const { test, expect } = require('@playwright/test');

const num = async (locator) => Number((await locator.textContent()).trim());

test('taxi: a crashed consumer causes a rebalance and duplicates', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('preset').selectOption('taxi');
  await expect(page.locator('header .tagline')).toContainText('NYC TLC yellow-taxi trips');
  await expect(page.locator('header .tagline code').nth(1)).toHaveText('taxi-trips');

  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  await expect(page.getByTestId('generation')).toHaveText('1', { timeout: 20_000 });
  // Wait for the first auto-commit, so that the crash re-delivers what was processed since.
  await expect.poll(async () => page.locator('table.members td.committed')
    .evaluateAll((cells) => cells.filter((c) => c.textContent.trim() !== '–').length), { timeout: 20_000 })
    .toBeGreaterThan(0);
  await page.getByTestId('tab-pane1-outcomes').click();
  expect(await num(page.getByTestId('out-produced'))).toBeGreaterThan(0);

  await page.getByTestId('tab-pane1-events').click();
  await page.locator('table.members button.danger').first().click();
  await expect(page.locator('.events')).toContainText('process crashed');

  // The group notices after session.timeout.ms (45 s of simulated time), then rebalances.
  await page.getByTestId('speed').selectOption('50');
  await expect(page.getByTestId('generation')).toHaveText('2', { timeout: 30_000 });
  await expect(page.locator('.events')).toContainText('has failed, removing it from the group');
  await expect(page.locator('.events')).toContainText('Stabilized group g1 generation 2 with 2 members');
  await page.getByTestId('tab-pane1-outcomes').click();
  await expect.poll(async () => num(page.getByTestId('out-duplicated')), { timeout: 30_000 }).toBeGreaterThan(0);
  expect(await num(page.getByTestId('out-lost'))).toBe(0);
  // The windows fill too.
  await page.getByTestId('tab-pane1-windows').click();
  await expect(page.locator('table.windows .window').first()).toBeVisible();
  // Each window shows its aggregate: average fare and average trip duration.
  await expect(page.locator('table.windows .window .detail').first()).toHaveText(/^\$-?\d+\.\d\d · -?\d+ min$/);

  await page.getByTestId('play').click();
  await page.screenshot({ path: 'target/e2e/taxi-crash.png', fullPage: true });
  expect(errors).toEqual([]);
});
