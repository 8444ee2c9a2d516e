// Share links in headless Chromium: a run made by hand (played, a consumer crashed, stepped)
// opens in a fresh browser context at the same simulated time with the same trace hash; a broken
// link says why, as text, and leaves the default playground; the Embed button's snippet embeds
// the two views shown, with the run's state. Saves target/e2e/share.png.
const { test, expect } = require('@playwright/test');

test('a share link replays the run to the same time and trace hash', async ({ page, browser, baseURL }) => {
  test.setTimeout(90_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  await expect(page.getByTestId('group-state')).toHaveText('Stable', { timeout: 20_000 });
  await page.locator('table.members button.danger').first().click();
  await page.getByTestId('play').click();
  for (let i = 0; i < 5; i++) await page.getByTestId('step').click();
  await page.getByTestId('play').click();
  await page.waitForTimeout(700);

  // Share pauses the run where the link is made.
  await page.getByTestId('share').click();
  await expect(page.getByTestId('play')).toHaveText('▶ Play');
  const url = await page.getByTestId('share-url').inputValue();
  const time = await page.getByTestId('sim-time').textContent();
  const hash = await page.getByTestId('trace-hash').textContent();
  expect(url).toMatch(new RegExp(`^${baseURL}/#v1\\.[A-Za-z0-9_-]+$`));
  await page.screenshot({ path: 'target/e2e/share.png' });
  await page.getByTestId('dialog-close').click();

  // The Embed button gives an <iframe> of the two panes' views with the same state.
  await page.getByTestId('tab-pane2-events').click();
  await page.getByTestId('embed').click();
  await page.getByTestId('embed-autoplay').check();
  const snippet = await page.getByTestId('embed-snippet').inputValue();
  expect(snippet).toMatch(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed=partitions,events&amp;autoplay=1#v1\.[A-Za-z0-9_-]+" width="640" height="420"/);
  await page.getByTestId('dialog-close').click();

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  other.on('pageerror', (e) => errors.push(String(e)));
  await other.goto(url);
  await expect(other.getByTestId('sim-time')).toHaveText(time, { timeout: 30_000 });
  await expect(other.getByTestId('trace-hash')).toHaveText(hash);
  await expect(other.getByTestId('play')).toHaveText('▶ Play');
  await expect(other.getByTestId('notice')).toHaveCount(0);
  console.log(`shared at ${time} with trace ${hash}; replayed to ${await other.getByTestId('sim-time').textContent()}`);
  await fresh.close();
  expect(errors).toEqual([]);
});

test('a broken share link shows why and opens the default playground', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/#v1.AAAA<script>alert(1)</script>');
  await expect(page.getByTestId('notice')).toContainText('share link: is not base64url');
  await expect(page.getByTestId('notice')).toContainText('The run starts from the beginning instead.');
  await expect(page.locator('.notice script')).toHaveCount(0);
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('sim-time')).toHaveText('0.100s');
  expect(errors).toEqual([]);
});

test('a share link of an exercise replays the learner\'s actions in the exercise', async ({ page, browser }) => {
  test.setTimeout(60_000);
  await page.goto('/?exercise=crash-and-rebalance');
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();
  await expect(page.getByTestId('group-state')).toHaveText('Stable', { timeout: 20_000 });
  await page.getByTestId('action-member').selectOption('consumer-g1-2');
  await page.getByTestId('action-crash_consumer').click();
  await page.waitForTimeout(500);
  await page.getByTestId('share').click();
  const url = await page.getByTestId('share-url').inputValue();
  expect(url).toMatch(/\?exercise=crash-and-rebalance#v1\./);
  const [time, hash] = [await page.getByTestId('sim-time').textContent(), await page.getByTestId('trace-hash').textContent()];

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(url);
  await expect(other.getByTestId('sim-time')).toHaveText(time, { timeout: 30_000 });
  await expect(other.getByTestId('trace-hash')).toHaveText(hash);
  await expect(other.locator('[data-testid="member-consumer-g1-2"] .member-state')).toHaveText('Crashed');
  await expect(other.getByTestId('notice')).toHaveCount(0);
  await fresh.close();
});
