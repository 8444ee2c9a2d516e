// The Pipeline view in headless Chromium. IoT: the preset's pipeline is drawn as its steps (a 10 s
// sliding window, the moving average of temperature_c, an alert above 25 °C, an update-mode sink),
// and as the run plays the sink table fills and alerts fire. Taxi: the output-mode switch turns
// the sink from update to append, after which only final rows are in it. The output-modes exercise
// is then solved through the page. Saves target/e2e/pipeline-iot.png, pipeline-taxi-append.png and
// pipeline-exercise.png.
const { test, expect } = require('@playwright/test');

const num = async (locator) => Number((await locator.textContent()).trim());

test('pipeline: the IoT preset\'s steps, sink rows and alerts', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('tab-pane1-pipeline').click();
  const steps = page.getByTestId('pipeline-steps');
  await expect(steps.locator('li')).toHaveCount(7);
  await expect(page.getByTestId('step-window')).toContainText('sliding 10 s, grace 2 s');
  await expect(page.getByTestId('step-aggregate')).toContainText('avg(temperature_c)');
  await expect(page.getByTestId('step-sink')).toContainText('update mode');
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  await expect.poll(async () => num(page.getByTestId('alerts')), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('sink-table').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('alert-table').locator('tbody tr').first()).toBeVisible();
  expect(await num(page.getByTestId('sink-writes'))).toBeGreaterThanOrEqual(await num(page.getByTestId('sink-rows')));
  await page.screenshot({ path: 'target/e2e/pipeline-iot.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('pipeline: taxi in append mode keeps only final rows', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('preset').selectOption('taxi');
  await page.getByTestId('tab-pane1-pipeline').click();
  await expect(page.getByTestId('step-aggregate')).toContainText('sum(fare_amount)');
  await page.getByTestId('output-mode-append').click();
  await expect(page.getByTestId('output-mode-append')).toHaveAttribute('aria-pressed', 'true', { timeout: 20_000 });
  await expect(page.getByTestId('sink-mode-help')).toContainText('written once, final');
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 90_000 });
  expect(await num(page.getByTestId('sink-open-rows'))).toBe(0);
  expect(await num(page.getByTestId('sink-rows'))).toBe(await num(page.getByTestId('sink-writes')));
  const rows = page.getByTestId('sink-table').locator('tbody tr');
  expect(await rows.count()).toBeGreaterThan(0);
  expect(await rows.filter({ hasText: 'may change' }).count()).toBe(0);
  await page.screenshot({ path: 'target/e2e/pipeline-taxi-append.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the output-modes exercise: append puts only final rows in the table', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?exercise=output-modes');
  await expect(page.locator('h1')).toHaveText('Output modes: what the sink table gets');
  await page.getByTestId('setting-sink-output_mode').selectOption({ label: 'append' });
  await page.getByTestId('exercise-apply').click();
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('goal-checklist').locator('li.met')).toHaveCount(3);
  await page.screenshot({ path: 'target/e2e/pipeline-exercise.png', fullPage: true });
  expect(errors).toEqual([]);
});
