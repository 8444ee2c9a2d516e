// The Guarantees view in headless Chromium: the taxi stream, seed 3, is run again three times
// as a consume-transform-produce pipeline, with the same crash of consumer-g1-1 at 10 s and the
// same 5% of produce responses lost. At-most-once loses trips, at-least-once duplicates some,
// exactly-once delivers every trip to the downstream group once. Saves target/e2e/guarantees.png.
const { test, expect } = require('@playwright/test');

const num = async (locator) => Number((await locator.textContent()).trim());

test('the three guarantees side by side: losses, duplicates, and exactly once', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('preset').selectOption('taxi');
  await expect(page.locator('header .tagline code').nth(1)).toHaveText('taxi-trips');
  await page.locator('label', { hasText: /^seed/ }).locator('input').fill('3');
  await page.getByTestId('reset').click();
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');

  await page.getByTestId('tab-pane1-guarantees').click();
  await expect(page.getByTestId('guarantees-crash')).toHaveValue('10');
  await expect(page.getByTestId('guarantees-drop')).toHaveValue('5');
  await page.getByTestId('guarantees-run').click();
  await expect(page.getByTestId('guarantees-where')).toContainText('crashes at 10', { timeout: 120_000 });

  expect(await num(page.getByTestId('g-lost-at-most-once'))).toBeGreaterThan(0);
  expect(await num(page.getByTestId('g-dup-at-most-once'))).toBe(0);
  expect(await num(page.getByTestId('g-dup-at-least-once'))).toBeGreaterThan(0);
  expect(await num(page.getByTestId('g-lost-at-least-once'))).toBe(0);
  await expect(page.getByTestId('g-dup-exactly-once')).toHaveText('0');
  await expect(page.getByTestId('g-lost-exactly-once')).toHaveText('0');
  await expect(page.getByTestId('verdict-exactly-once')).toHaveText('every input record reached the output exactly once');
  await expect(page.getByTestId('verdict-at-most-once')).toContainText('never reached it');
  await expect(page.getByTestId('verdict-at-least-once')).toContainText('twice or more');

  await page.screenshot({ path: 'target/e2e/guarantees.png', fullPage: true });
  expect(errors).toEqual([]);
});
