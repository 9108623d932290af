import { expect, test } from '@playwright/test';
import { shot, signIn } from './console';

test('an auditor verifies a ledger', async ({ page }) => {
  await signIn(page, 'Beijing Audit Bureau', ['AUDITOR'], 'sun.auditor');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Beijing', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Audit entries' }).getByRole('row')).not.toHaveCount(1);
  await page.getByRole('button', { name: 'Verify ledger beijing' }).click();
  await expect(page.getByTestId('verify-result')).toHaveText(/^verified: \d+ entries$/);
  await shot(page, 'audit');
});

test('a member sees no audit or permissions pages', async ({ page }) => {
  await signIn(page, 'Chaoyang Civil Affairs Bureau', ['MEMBER'], 'li.na');
  await expect(page.getByRole('link', { name: 'Directory' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Permissions' })).toHaveCount(0);
});
