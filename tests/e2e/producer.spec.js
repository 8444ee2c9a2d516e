// The producer panel in headless Chromium: the IoT producer gets a producer id (idempotence is
// Kafka 4.x's default). A produce response dropped by a link fault makes it wait
// request.timeout.ms (30 s), close the connection and retry; the leader recognises the retried
// batch and does not append it again. With enable.idempotence=false set in the config editor,
// the same fault leaves records twice in the log. Saves target/e2e/producer.png.
const { test, expect } = require('@playwright/test');

const { runFor, runToEnd } = require('./clock');

test('a lost produce response is deduplicated when idempotent and duplicated when not', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('tab-pane1-producer').click();
  await page.getByTestId('tab-pane2-outcomes').click();

  await runFor(page, 1);
  await expect(page.getByTestId('idempotence')).toContainText('producer id 0, epoch 0');
  await page.getByTestId('drop-next-response').click();
  await runFor(page, 40);
  expect(Number(await page.getByTestId('retries').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('failed')).toHaveText('0');
  await expect(page.getByTestId('log-duplicates')).toHaveText('0');

  // The same fault without idempotence: the retry appends the batch again.
  await page.locator('.producer-configs summary').click();
  await page.getByTestId('config-enable.idempotence').fill('false');
  await expect(page.locator('.producer-configs .warning').first()).toContainText('duplicates');
  await page.getByTestId('apply-producer-configs').click();
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');
  await expect(page.getByTestId('idempotence')).toContainText('not idempotent');
  await runFor(page, 1);
  await page.getByTestId('drop-next-response').click();
  await runFor(page, 40);
  expect(Number(await page.getByTestId('retries').textContent())).toBeGreaterThan(0);
  expect(Number(await page.getByTestId('log-duplicates').textContent())).toBeGreaterThan(0);
  await expect(page.locator('.producer-card .warning').first()).toBeVisible();

  await page.screenshot({ path: 'target/e2e/producer.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the retries-and-duplicates exercise: idempotence removes the duplicates', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?exercise=retries-and-duplicates');
  await expect(page.locator('h1')).toHaveText('A retry that duplicates');
  await expect(page.getByTestId('tab-pane1-producer')).toHaveAttribute('aria-selected', 'true');

  await runToEnd(page);
  expect(Number(await page.getByTestId('log-duplicates').first().textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('goal-checklist').locator('li.unmet')).toHaveCount(1);

  await page.getByTestId('setting-producer-enable-idempotence').selectOption({ label: 'true' });
  await page.getByTestId('exercise-apply').click();
  await runToEnd(page);
  await expect(page.getByTestId('log-duplicates').first()).toHaveText('0');
  await expect(page.getByTestId('goal-checklist').locator('li.met')).toHaveCount(3);
  await page.screenshot({ path: 'target/e2e/retries-and-duplicates.png', fullPage: true });
  expect(errors).toEqual([]);
});
