// The simulated clock in the page, shared by the e2e tests.
const { expect } = require('@playwright/test');

/** Simulated seconds on the clock (`12.345s`). */
const seconds = async (page) => parseFloat(await page.getByTestId('sim-time').textContent());

/** Plays at 10x until the clock has moved `s` simulated seconds, then pauses. */
const runFor = async (page, s) => {
  const until = (await seconds(page)) + s;
  await page.getByTestId('play').click();
  await expect.poll(() => seconds(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(until);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText('▶ Play');
};

/** "Run for … to the end of the input", waiting until the run says it has ended. */
const runToEnd = async (page) => {
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toContainText('end', { timeout: 90_000 });
};

module.exports = { seconds, runFor, runToEnd };
