// The course in headless Chromium: the index lists the modules and exercises with their state;
// one exercise ("Consumers beyond the partition count sit idle") is solved through the UI only
// (the allowed setting changed, Run to the end, Check), its goal's checklist turns green and the
// explanation shows; after a reload it is still solved, on the exercise and on the index. An
// exercise that does not exist, or does not check, says why; HTML and script in every text field
// of an exercise render as inert text. Saves target/e2e/course.png, exercise.png and
// exercise-solved.png.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const ID = 'idle-consumers';

test('solve an exercise through the UI, and it stays solved', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('course-link').click();
  await expect(page.locator('.modules > li')).toHaveCount(5);
  await expect(page.getByTestId(`state-${ID}`)).toHaveText('not started');
  await page.screenshot({ path: 'target/e2e/course.png', fullPage: true });

  await page.getByTestId(`course-${ID}`).getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`\\?exercise=${ID}$`));
  await expect(page.locator('h1')).toHaveText('Consumers beyond the partition count sit idle');
  await expect(page.getByTestId('exercise-story')).toContainText('range assignor');
  // Markdown: `readings` is code, **exactly two ...** is bold.
  await expect(page.getByTestId('exercise-instructions').locator('strong').first()).toHaveText('exactly two of them own no partition');
  await expect(page.getByTestId('goal-checklist').locator('li.unmet')).toHaveCount(2);
  // Only what the exercise allows: adding consumers, not crashing them.
  await expect(page.locator('table.members button.danger').first()).toBeDisabled();
  await page.getByTestId('show-hint').click();
  await expect(page.locator('.hints li')).toHaveCount(1);

  // A value outside the allowed range is refused, naming the setting.
  await page.getByTestId('setting-consumers').fill('40');
  await page.getByTestId('exercise-apply').click();
  await expect(page.locator('.exercise-settings .error')).toHaveText('consumers: must be 1 to 10, got 40');

  // Check before solving: not yet.
  await page.getByTestId('exercise-check').click();
  await expect(page.getByTestId('check-result')).toHaveText(/^Checked at t = 0\.000s: not yet, 0 of 2 hold\.$/);
  await expect(page.getByTestId('exercise-state')).toHaveText('tried');

  await page.getByTestId('setting-consumers').fill('8');
  await page.getByTestId('exercise-apply').click();
  // The panes open on the views the exercise names: here the Groups view first.
  await expect(page.getByTestId('tab-pane1-groups')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('table.members tr.member')).toHaveCount(8);
  await page.getByTestId('run-for').selectOption({ label: 'to the end of the input' });
  await page.getByTestId('run-for-start').click();
  await expect(page.getByTestId('run-for-done')).toContainText('scenario\'s end', { timeout: 60_000 });
  await expect(page.getByTestId('goal-checklist').locator('li.met')).toHaveCount(2);
  await expect(page.getByTestId('explanation')).toContainText('parallelism is capped by the partition count');
  await page.getByTestId('exercise-check').click();
  await expect(page.getByTestId('check-result')).toHaveText(/the goal is met\.$/);
  await expect(page.getByTestId('exercise-state')).toHaveText('solved');
  await page.screenshot({ path: 'target/e2e/exercise-solved.png', fullPage: true });

  await page.reload();
  await expect(page.getByTestId('exercise-state')).toHaveText('solved');
  await expect(page.locator('.course-position')).toHaveText('Consumer groups · 1 of 6 · Next exercise →');
  await expect(page.getByTestId('next-exercise')).toHaveAttribute('href', '?exercise=keep-up-with-the-stream');
  await page.screenshot({ path: 'target/e2e/exercise.png', fullPage: true });
  await page.getByTestId('course-link').click();
  await expect(page.getByTestId(`state-${ID}`)).toHaveText('solved');
  await expect(page.locator('.tagline')).toHaveText('1 of 22 exercises solved. Progress is kept in this browser only.');
  expect(errors).toEqual([]);
});

test('an exercise that cannot be loaded says why', async ({ page }) => {
  await page.goto('/?exercise=no-such-exercise');
  await expect(page.getByTestId('exercise-error')).toHaveText('Could not load exercises/no-such-exercise.json: HTTP 404');
  await page.goto('/?exercise=..%2Fdata%2FREADME');
  await expect(page.getByTestId('notice')).toContainText('exercise: must be 1 to 64 characters of a-z, 0-9 and \'-\'');
});

test('an exercise file that does not check names the field', async ({ page }) => {
  const exercise = JSON.parse(fs.readFileSync(path.join(__dirname, '../../static/exercises', `${ID}.json`), 'utf8'));
  exercise.goal.all[0].metric = 'groups.g1.idle';
  await page.route(`**/exercises/${ID}.json`, (route) => route.fulfill({ body: JSON.stringify(exercise) }));
  await page.goto(`/?exercise=${ID}`);
  await expect(page.getByTestId('exercise-error')).toContainText(`exercises/${ID}.json: goal.all[0].metric: unknown metric "groups.g1.idle"`);
});

test('HTML and script in an exercise render as inert text', async ({ page, baseURL }) => {
  const evil = (what) => `${what} <script>window.pwned = "${what}"</script><img src="https://evil.example/${what}.png" onerror="window.pwned = 1">`
    + ` [link](javascript:window.pwned=1) ![alt text](https://evil.example/i.png) <iframe src="https://evil.example/"></iframe>`;
  const exercise = JSON.parse(fs.readFileSync(path.join(__dirname, '../../static/exercises', `${ID}.json`), 'utf8'));
  exercise.title = '<b onclick="window.pwned=1">Title</b><script>window.pwned=1</script>';
  exercise.story = evil('story');
  exercise.instructions = evil('instructions');
  exercise.hints = [evil('hint')];
  exercise.explanation = evil('explanation');
  exercise.goal.all[0].label = '<img src=x onerror="window.pwned=1">label';
  exercise.solution = {};
  await page.route(`**/exercises/${ID}.json`, (route) => route.fulfill({ body: JSON.stringify(exercise) }));
  const foreign = [];
  page.on('request', (r) => { if (new URL(r.url()).origin !== new URL(baseURL).origin) foreign.push(r.url()); });
  await page.goto(`/?exercise=${ID}`);
  await expect(page.locator('h1')).toHaveText('<b onclick="window.pwned=1">Title</b><script>window.pwned=1</script>');
  await expect(page.getByTestId('exercise-story')).toContainText('story <script>window.pwned = "story"</script><img src=');
  await expect(page.getByTestId('exercise-story')).toContainText('link alt text');
  await expect(page.getByTestId('goal-checklist')).toContainText('<img src=x onerror="window.pwned=1">label');
  await page.getByTestId('show-hint').click();
  await expect(page.locator('.hints li')).toContainText('hint <script>');
  const app = page.locator('.app');
  await expect(app.locator('script, img, iframe, b, a[href^="javascript"]')).toHaveCount(0);
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();
  expect(foreign).toEqual([]);
});
