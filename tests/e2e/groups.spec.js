// The consumer-group views in headless Chromium: a member stalled past max.poll.interval.ms
// leaves its group, and the Rebalances view shows that rebalance with its trigger; under
// cooperative-sticky a new member makes the group revoke fewer partitions than under range
// (eager), in the page's own run and in the side-by-side comparison; partitions added to the
// topic rebalance the group at the members' metadata refresh; the Lag and Tools views.
// Saves target/e2e/groups-*.png.
const { test, expect } = require('@playwright/test');

const { runFor } = require('./clock');

/** Sets the control bar's group knobs and presses Reset. */
const configure = async (page, { assignor, maxPoll, session }) => {
  if (assignor) await page.getByTestId('assignor').selectOption(assignor);
  if (maxPoll) await page.getByTestId('max-poll-interval-ms').fill(String(maxPoll));
  if (session) await page.getByTestId('session-timeout-ms').fill(String(session));
  await page.getByTestId('reset').click();
  await expect(page.locator('.controls .error')).toHaveCount(0);
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');
};

/** Until the first rebalance is done and the group Stable. */
const untilStable = async (page) => {
  await page.getByTestId('play').click();
  await expect(page.getByTestId('group-state')).toHaveText('Stable', { timeout: 20_000 });
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText('▶ Play');
};

test('a member stalled past max.poll.interval.ms leaves: the timeline shows a poll timeout', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await configure(page, { maxPoll: 10000 });
  await page.getByTestId('speed').selectOption('10');
  await untilStable(page);
  await expect(page.getByTestId('group-protocol')).toHaveText('eager');
  await expect(page.getByTestId('group-assignor')).toHaveText('range');
  await expect(page.getByTestId('member-static-consumer-g1-1')).toHaveText('dynamic member');

  // 10 s + 5 s: past the poll interval, the heartbeat thread sends LeaveGroup.
  const stall = page.getByTestId('stall-poll-consumer-g1-1');
  await expect(stall).toHaveText('Stall 15 s > max.poll.interval.ms');
  await stall.click();
  await expect(page.getByTestId('member-state-consumer-g1-1')).toContainText('stalled');
  await page.screenshot({ path: 'target/e2e/groups-stalled.png', fullPage: true });

  await runFor(page, 14);
  await page.getByTestId('tab-pane1-rebalances').click();
  const timeline = page.getByTestId('timeline-g1');
  await expect(timeline.locator('li.rebalance[data-trigger="poll_timeout"]')).toHaveCount(1);
  await expect(timeline.locator('li.rebalance[data-trigger="poll_timeout"] .rb-trigger'))
    .toHaveText('poll timeout (no poll() for max.poll.interval.ms)');
  // The stalled member's partitions went unconsumed from its last poll() to their new owner.
  await expect(timeline.locator('li.rebalance[data-trigger="poll_timeout"] ul.unconsumed li').first()).toBeVisible();
  await expect(page.locator('.events')).toHaveCount(0);
  await page.getByTestId('tab-pane2-events').click();
  await expect(page.locator('.events')).toContainText('consumer poll timeout has expired');
  await page.screenshot({ path: 'target/e2e/groups-poll-timeout.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('cooperative-sticky revokes fewer partitions than range when a member joins', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('speed').selectOption('10');

  /** Adds a member to a stable group and returns the partitions revoked since the start. */
  const revokedAfterAJoin = async () => {
    await untilStable(page);
    await page.getByTestId('add-consumer-g1').click();
    await runFor(page, 8);
    await page.getByTestId('tab-pane1-rebalances').click();
    const revoked = Number(await page.getByTestId('revoked-total').textContent());
    await page.getByTestId('tab-pane1-partitions').click();
    return revoked;
  };

  const eager = await revokedAfterAJoin();
  await configure(page, { assignor: 'cooperative-sticky' });
  await expect(page.getByTestId('group-protocol')).toHaveText('cooperative');
  const cooperative = await revokedAfterAJoin();
  expect(eager).toBeGreaterThan(0);
  expect(cooperative).toBeLessThan(eager);

  // The same run, both ways, side by side.
  await page.getByTestId('tab-pane1-rebalances').click();
  await page.getByTestId('compare-now').click();
  await expect(page.getByTestId('compare-where')).toContainText('where this run stands');
  const side = async (p) => Number(await page.getByTestId(`compare-revoked-${p}`).textContent());
  expect(await side('cooperative')).toBeLessThan(await side('eager'));
  // This run is the cooperative one: the replay has its revoked count and its trace.
  expect(await side('cooperative')).toBe(cooperative);
  await expect(page.getByTestId('compare-hash-cooperative')).toHaveText(await page.getByTestId('trace-hash').textContent());
  await expect(page.getByTestId('compare-timeline-cooperative').locator('li.rebalance[data-trigger="cooperative_rejoin"]'))
    .not.toHaveCount(0);
  await page.getByTestId('tab-pane2-lag').click();
  await page.screenshot({ path: 'target/e2e/groups-compare.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('Add partitions: the members see them at their metadata refresh and the group rebalances', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('speed').selectOption('10');
  await untilStable(page);
  await expect(page.getByTestId('partition-count-readings')).toHaveValue('7');
  await page.getByTestId('add-partitions-readings').click();
  await expect(page.locator('.controls .error')).toHaveCount(0);
  // metadata.max.age.ms is 5 min: the next refresh is within the next 10 min.
  await page.getByTestId('run-for').selectOption('600000');
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('partition-count-readings')).toHaveValue('8');
  await page.getByTestId('tab-pane1-rebalances').click();
  await expect(page.getByTestId('timeline-g1').locator('li.rebalance[data-trigger="partitions_added"]')).toHaveCount(1);
  await page.getByTestId('tab-pane2-lag').click();
  await expect(page.locator('table.lag-table tbody tr')).toHaveCount(7);
  await expect(page.getByTestId('lag-row-readings-6')).toBeVisible();
  await page.screenshot({ path: 'target/e2e/groups-partitions-added.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the Lag and Tools views: lag per partition with its time to clear, and the calculators', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('speed').selectOption('10');
  await untilStable(page);
  await runFor(page, 12);
  await page.getByTestId('tab-pane1-lag').click();
  await expect(page.locator('table.lag-table tbody tr')).toHaveCount(6);
  await expect(page.getByTestId('lag-clears-in')).not.toHaveText('');

  await page.getByTestId('tab-pane2-tools').click();
  await page.getByTestId('calc-keys-fill').click();
  await expect(page.locator('table.calc-keys tbody tr')).toHaveCount(12);
  await page.getByTestId('calc-partitions').fill('0');
  await expect(page.getByTestId('calc-keys-error')).toHaveText(/^partitions: must be between 1/);
  await page.getByTestId('calc-partitions').fill('6');
  await page.getByTestId('calc-assign-fill').click();
  await expect(page.locator('table.calc-assign tbody tr')).toHaveCount(3);
  await page.getByTestId('calc-members').fill('a=readings\nb=nowhere');
  await expect(page.getByTestId('calc-assign-error')).toHaveText('members b: topic "nowhere" is not given by topics');
  await page.getByTestId('calc-members').fill('a=readings\nb=readings');
  await page.getByTestId('calc-previous').fill('');
  await expect(page.getByTestId('calc-assigned-a')).toContainText('readings-0, readings-1, readings-2');
  await page.screenshot({ path: 'target/e2e/groups-lag-tools.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the new views fit a 400 × 300 frame', async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 300 });
  await page.goto('/?embed=rebalances,tools&autoplay=1&speed=10');
  await expect(page.getByTestId('sim-time')).not.toHaveText('0.000s');
  await expect(page.getByTestId('embed-rebalances')).toBeVisible();
  await page.waitForTimeout(1_000);
  const [scroll, client] = await page.locator('html').evaluate((e) => [e.scrollWidth, e.clientWidth]);
  expect(scroll).toBeLessThanOrEqual(client);
  await page.screenshot({ path: 'target/e2e/groups-embed-400x300.png' });
});

test('Seek start makes a member read its partitions again, and the log says so', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('speed').selectOption('10');
  await untilStable(page);
  await runFor(page, 5);
  await page.getByTestId('seek-beginning-consumer-g1-1').click();
  await runFor(page, 3);
  await page.getByTestId('tab-pane2-events').click();
  await expect(page.locator('.events')).toContainText('Seeking to beginning of partitions readings-0, readings-1');
  await page.screenshot({ path: 'target/e2e/groups-seek.png', fullPage: true });
  expect(errors).toEqual([]);
});
