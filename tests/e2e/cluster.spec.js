// The replicated cluster in headless Chromium: three brokers and replication factor 3 set in the
// control bar, the Cluster tab opened, the leader of readings-0 crashed. Once the controller has
// fenced it (broker.session.timeout.ms, 9 s) another replica leads and the ISR is without it;
// restarted, it catches up and rejoins the ISR. Saves target/e2e/cluster.png.
const { test, expect } = require('@playwright/test');

const { runFor, runToEnd } = require('./clock');

const isr = async (page) => (await page.getByTestId('isr-readings-0').textContent()).split(',').filter((b) => b);

test('a crashed leader is replaced, and rejoins the ISR once restarted', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');

  await page.getByTestId('brokers').fill('3');
  await page.getByTestId('replication-factor').fill('3');
  await page.getByTestId('reset').click();
  await expect(page.locator('.controls .error')).toHaveCount(0);
  await page.getByTestId('speed').selectOption('10');

  await page.getByTestId('tab-pane1-cluster').click();
  await expect(page.getByTestId('tab-pane1-cluster')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('[data-testid^="broker-state-"]')).toHaveCount(3);

  // Let the controller elect the first leaders and the followers join the ISR.
  await runFor(page, 2);
  const leader = (await page.getByTestId('leader-readings-0').textContent()).trim();
  expect(leader).not.toBe('none');
  expect(await isr(page)).toHaveLength(3);

  await page.getByTestId(`crash-broker-${leader}`).click();
  await expect(page.getByTestId(`broker-state-${leader}`)).toHaveText('Crashed');
  await expect(page.getByTestId(`restart-broker-${leader}`)).toBeVisible();

  // The controller fences it after broker.session.timeout.ms (9 s) and moves its leaderships.
  await runFor(page, 15);
  const next = (await page.getByTestId('leader-readings-0').textContent()).trim();
  expect(next).not.toBe('none');
  expect(next).not.toBe(leader);
  expect(await isr(page)).not.toContain(leader);
  expect((await isr(page)).length).toBeGreaterThanOrEqual(1);

  await page.getByTestId(`restart-broker-${leader}`).click();
  await expect(page.getByTestId(`broker-state-${leader}`)).toHaveText('Running');

  // It registers again, truncates what diverged, catches up and rejoins the ISR.
  await runFor(page, 20);
  expect(await isr(page)).toContain(leader);
  await expect(page.getByTestId(`crash-broker-${leader}`)).toBeVisible();

  await page.screenshot({ path: 'target/e2e/cluster.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('acks=1 loses acknowledged trips when the leader crashes, acks=all does not', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?exercise=acks-and-lost-writes');
  await expect(page.locator('h1')).toHaveText('acks and lost writes');
  await expect(page.getByTestId('tab-pane1-cluster')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('[data-testid^="broker-state-"]')).toHaveCount(3);

  await runToEnd(page);
  // The crashed leader's partition has a new leader, and acknowledged trips are gone.
  expect(Number(await page.getByTestId('acknowledged-lost').first().textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('goal-checklist').locator('li.unmet')).toHaveCount(1);
  await page.screenshot({ path: 'target/e2e/acks-lost.png', fullPage: true });

  await page.getByTestId('setting-producer-acks').selectOption({ label: 'all' });
  await page.getByTestId('exercise-apply').click();
  await runToEnd(page);
  await expect(page.getByTestId('acknowledged-lost').first()).toHaveText('0');
  await expect(page.getByTestId('goal-checklist').locator('li.met')).toHaveCount(3);
  await page.screenshot({ path: 'target/e2e/acks-all.png', fullPage: true });
  expect(errors).toEqual([]);
});
