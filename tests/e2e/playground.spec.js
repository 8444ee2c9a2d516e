// The playground in headless Chromium: it loads, plays the IoT stream, and the offsets,
// positions, committed offsets and lag on screen move. The first pane shows the partitions and the
// second the group, as they open; the windows are a tab away. Saves target/e2e/playground.png.
const { test, expect } = require('@playwright/test');

const num = async (locator) => Number((await locator.textContent()).trim());

/** Every number in the members table's column `cls` (position, committed, lag), '–' as null. */
const column = async (page, cls) =>
  page.locator(`table.members td.${cls}`).evaluateAll((cells) =>
    cells.map((c) => (c.textContent.trim() === '–' ? null : Number(c.textContent.trim()))));

test('plays the IoT stream and shows offsets, positions, commits and lag moving', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await expect(page.getByTestId('sim-time')).toHaveText('0.000s');
  expect(await num(page.getByTestId('leo-total'))).toBe(0);

  // 10x: the first rebalance waits group.initial.rebalance.delay.ms (6 s of simulated time here).
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('play').click();

  // Wait until the group is Stable and has committed something.
  await expect(page.getByTestId('group-state')).toHaveText('Stable', { timeout: 20_000 });
  await expect.poll(async () => (await column(page, 'committed')).filter((v) => v !== null).length,
    { timeout: 20_000 }).toBeGreaterThan(0);

  const leo1 = await num(page.getByTestId('leo-total'));
  const positions1 = await column(page, 'position');
  const committed1 = await column(page, 'committed');
  const lag1 = await column(page, 'lag');
  expect(leo1).toBeGreaterThan(0);
  expect(positions1.some((p) => p !== null && p > 0)).toBe(true);

  // Let it play on: everything moves.
  await expect.poll(async () => num(page.getByTestId('leo-total')), { timeout: 15_000 }).toBeGreaterThan(leo1 + 50);
  await expect.poll(async () => JSON.stringify(await column(page, 'position')), { timeout: 15_000 })
    .not.toBe(JSON.stringify(positions1));
  await expect.poll(async () => JSON.stringify(await column(page, 'committed')), { timeout: 15_000 })
    .not.toBe(JSON.stringify(committed1));
  await expect.poll(async () => JSON.stringify(await column(page, 'lag')), { timeout: 15_000 })
    .not.toBe(JSON.stringify(lag1));

  await page.getByTestId('play').click(); // pause for a steady picture
  await page.getByTestId('tab-pane1-windows').click();
  await expect(page.getByTestId('tab-pane1-windows')).toHaveAttribute('aria-selected', 'true');
  // 10 s sliding windows: each key's windows are told apart by their start, to the second.
  const starts = await page.locator('table.windows tbody tr').first().locator('.window .when').allTextContents();
  expect(starts.length).toBeGreaterThan(1);
  expect(new Set(starts).size).toBe(starts.length);
  expect(starts.every((s) => /^\d\d:\d\d:\d\d$/.test(s))).toBe(true);
  await page.screenshot({ path: 'target/e2e/playground.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('each pane picks its view by tabs, with the keyboard too; a view shows in one pane at a time', async ({ page }) => {
  await page.goto('/');
  const selected = async (pane) => page.locator(`#panel-${pane}`).getAttribute('aria-labelledby');
  expect([await selected('pane1'), await selected('pane2')]).toEqual(['tab-pane1-partitions', 'tab-pane2-groups']);
  await page.getByTestId('tab-pane1-windows').click();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('tab-pane1-groups')).toBeFocused();
  // Groups was in the second pane: the two panes swap.
  expect([await selected('pane1'), await selected('pane2')]).toEqual(['tab-pane1-groups', 'tab-pane2-windows']);
  await page.keyboard.press('Home');
  await expect(page.getByTestId('tab-pane1-partitions')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('leo-total')).toHaveCount(1);
  await expect(page.getByTestId('group-state')).toHaveCount(0);
});
