import { expect, test } from '@playwright/test';
import { SCREENSHOTS, signIn } from './console';

test.use({ viewport: { width: 390, height: 844 } });

test('at a phone width the menu folds behind a button and every page is reachable', async ({ page }) => {
  await signIn(page, 'Beijing Health Commission', ['STEWARD'], 'wang.steward');
  await expect(page.getByTestId('identity')).toContainText('steward');
  const exchanges = page.getByRole('link', { name: 'Exchanges' });
  await expect(exchanges).not.toBeInViewport();
  await page.getByRole('button', { name: 'Toggle navigation' }).click();
  await exchanges.click();
  await expect(page.getByRole('heading', { name: 'Exchanges' })).toBeVisible();
  await expect(exchanges).not.toBeInViewport();
  // Nothing is wider than the screen but the tables, which scroll inside their own box.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SCREENSHOTS}phone-exchanges.png` });
});
