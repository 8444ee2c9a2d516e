// Export in headless Chromium: the playground's Export button lists the files that replay its
// scenario on a real Kafka cluster, and each downloads as a file of the page's own making.
const { test, expect } = require('@playwright/test');
const fs = require('fs');

const downloaded = async (page, name) => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${name}`).click()]);
  expect(download.suggestedFilename()).toBe(name);
  return fs.readFileSync(await download.path(), 'utf8');
};

test('Export downloads the topics, properties and records of the run\'s scenario', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('commit-mode').selectOption('after_processing');
  await page.getByTestId('export').click();
  for (const name of ['create-topics.sh', 'producer.properties', 'consumer.properties', 'records-readings.txt', 'replay.sh']) {
    await expect(page.getByTestId(`export-${name}`)).toBeVisible();
  }
  expect(await downloaded(page, 'create-topics.sh'))
    .toContain('kafka-topics.sh --bootstrap-server "$B" --create --topic readings --partitions 6 --replication-factor 1');
  expect(await downloaded(page, 'consumer.properties')).toContain('enable.auto.commit=false');
  const records = (await downloaded(page, 'records-readings.txt')).trim().split('\n');
  expect(records.length).toBeGreaterThan(600);
  expect(records[0]).toMatch(/^sensor-\d\d\t\{/);
  await page.screenshot({ path: 'target/e2e/export.png' });
  await page.getByTestId('dialog-close').click();
  await expect(page.locator('dialog')).toHaveCount(0);
});
