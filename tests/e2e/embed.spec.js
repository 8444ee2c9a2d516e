// Embed mode in headless Chromium: the example documentation page (static/embed-example.html)
// runs three scenarios in three frames of different sizes, each showing its views and its clock
// moving, with no horizontal scrollbar; an unknown view name is named in a message with the
// allowed ones. Saves target/e2e/embed-example.png.
const { test, expect } = require('@playwright/test');

const FRAMES = [
  ['frame-small', 400, 300, ['partitions']],
  ['frame-medium', 640, 420, ['groups', 'outcomes']],
  ['frame-large', 900, 560, ['windows', 'events']],
];

test('the embed example page runs three live frames at their sizes', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/embed-example.html');
  for (const [id, width, height, views] of FRAMES) {
    const frame = page.getByTestId(id).contentFrame();
    expect(await frame.locator('html').evaluate(() => [window.innerWidth, window.innerHeight])).toEqual([width, height]);
    for (const v of views) await expect(frame.getByTestId(`embed-${v}`)).toBeVisible({ timeout: 20_000 });
    await expect(frame.getByTestId('sim-time')).not.toHaveText('0.000s', { timeout: 20_000 });
    const before = await frame.getByTestId('sim-time').textContent();
    await expect(frame.getByTestId('sim-time')).not.toHaveText(before, { timeout: 10_000 });
    // The frame's page fits its width: the views shrink, or scroll inside themselves.
    const [scroll, client] = await frame.locator('html').evaluate((e) => [e.scrollWidth, e.clientWidth]);
    expect(scroll, `${id} scrolls sideways`).toBeLessThanOrEqual(client);
  }
  // The crash scripted in the medium frame's link happens at 10 s and the group rebalances.
  await expect(page.getByTestId('frame-medium').contentFrame().getByTestId('generation')).toHaveText('2', { timeout: 30_000 });
  await page.getByTestId('frame-large').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'target/e2e/embed-example.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('every view fits a 400 × 300 frame, and an unknown view is named', async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 300 });
  await page.goto('/?embed=partitions,groups,windows,outcomes,producer,lag,events,guarantees&autoplay=1&speed=10');
  await expect(page.getByTestId('sim-time')).not.toHaveText('0.000s');
  await page.waitForTimeout(2_000);
  const [scroll, client] = await page.locator('html').evaluate((e) => [e.scrollWidth, e.clientWidth]);
  expect(scroll).toBeLessThanOrEqual(client);
  await page.screenshot({ path: 'target/e2e/embed-400x300.png' });

  await page.goto('/?embed=groups,lagg');
  await expect(page.getByTestId('notice')).toHaveText(
    'embed: there is no view named "lagg"; the views are partitions, cluster, groups, windows, outcomes, producer, lag, events, rebalances, tools, guarantees, store, pipeline');
  await expect(page.getByTestId('embed-groups')).toBeVisible();
});
