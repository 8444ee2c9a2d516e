// The Store view in headless Chromium: the IoT run becomes an exactly-once pipeline whose window
// store is backed by a changelog topic; each member restores its tasks (from an empty changelog)
// when it gets them; crashing a task's owner has the survivor restore that task from the
// changelog, records read and all, and the changelog shows as a stream and as a table.
// Saves target/e2e/store.png.
const { test, expect } = require('@playwright/test');

test('store: a crashed owner\'s task is restored from the changelog by its next owner', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('tab-pane1-store').click();
  await page.getByTestId('store-enable').click();
  await expect(page.getByTestId('store-tasks')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  // Every task gets an owner, which restores it first (nothing to read yet), then runs.
  const tasks = page.getByTestId('store-tasks').locator('tbody tr');
  await expect.poll(async () => tasks.filter({ hasText: 'running' }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(async () => Number((await page.getByTestId('store-table').textContent()).match(/^(\d+) keys/)[1]),
    { timeout: 30_000 }).toBeGreaterThan(3);
  // Crash the owner of the first task that has one.
  const crash = page.locator('[data-testid^="store-crash-"]').first();
  await crash.click();
  // Its session expires, the group rebalances, and the survivor reads the task's changelog.
  await expect.poll(async () => Number((await page.getByTestId('store-restored').textContent()).match(/^(\d+) of/)[1]),
    { timeout: 90_000 }).toBeGreaterThan(0);
  await page.getByTestId('play').click();
  const read = await page.getByTestId('store-restores').locator('tbody tr td:nth-child(5)').allTextContents();
  expect(read.map(Number).some((n) => n > 0)).toBe(true);
  await expect(page.getByTestId('store-stream-rows').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('store-table-rows').locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: 'target/e2e/store.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the state-restore exercise: with a changelog the crash counts every trip once', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?exercise=state-restore');
  await expect(page.locator('h1')).toHaveText('A crash, and windows that count every trip once');
  await page.getByTestId('setting-window-changelog').selectOption({ label: 'true' });
  await page.getByTestId('exercise-apply').click();
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('goal-checklist').locator('li.met')).toHaveCount(3);
  // The crashed member's tasks went to the survivors, which read their changelog partitions.
  await expect(page.getByTestId('store-restores')).toBeVisible();
  const read = await page.getByTestId('store-restores').locator('tbody tr td:nth-child(5)').allTextContents();
  expect(read.map(Number).some((n) => n > 0)).toBe(true);
  await page.screenshot({ path: 'target/e2e/store-exercise.png', fullPage: true });
  expect(errors).toEqual([]);
});
