// The dead-letter-queue exercise in headless Chromium: the application fails on a poison taxi
// trip and every member leaves; with on_failure = dead_letter the 11 poison trips go to the
// dead-letter queue after their retries, listed in the Outcomes view, and the rest drains.
// Saves target/e2e/dead-letters.png.
const { test, expect } = require('@playwright/test');

test('dead-letter queue: poison records are retried, set aside, and the stream goes on', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?exercise=dead-letter-queue');
  await expect(page.locator('h1')).toHaveText('Poison records: fail, or retry and dead-letter');
  await page.getByTestId('setting-errors-on_failure').selectOption({ label: 'dead_letter' });
  await page.getByTestId('exercise-apply').click();
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('goal-checklist').locator('li.met')).toHaveCount(4);
  await page.getByTestId('tab-pane1-outcomes').click();
  const dlq = page.getByTestId('dead-letters');
  await expect(dlq.locator('h2')).toHaveText('Dead-letter queue: 11 records');
  await expect(dlq.locator('tbody tr')).toHaveCount(11);
  // Each went through its four attempts: 100 + 200 + 400 ms of backoff and 4 × 10 ms of work.
  const row = dlq.locator('tbody tr').first();
  await expect(row.locator('td').nth(3)).toHaveText('4');
  const [first, sent] = await Promise.all([4, 5].map(async (i) => parseFloat(await row.locator('td').nth(i).textContent())));
  expect(Math.round((sent - first) * 1000)).toBe(730);
  await page.screenshot({ path: 'target/e2e/dead-letters.png', fullPage: true });
  expect(errors).toEqual([]);
});
