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

test('a token handed over by an identity provider in the address signs in, and leaves the address', async ({ page, request }) => {
  const minted = await request.post('/console/dev/token', {
    data: { departmentCode: 'chaoyang-health-commission', roles: ['STEWARD'], subject: 'idp.user' },
  });
  const { token } = (await minted.json()) as { token: string };
  await page.goto(`/console/directory#access_token=${token}`);
  await expect(page.getByTestId('identity')).toContainText('Chaoyang Health Commission');
  await expect(page.getByTestId('identity')).toContainText('steward');
  expect(page.url()).not.toContain('access_token');
});

test('a token the service rejects signs no one in, and says why', async ({ page }) => {
  await page.goto('/console/');
  await page.getByRole('tab', { name: 'Paste a token' }).click();
  await page.getByRole('textbox', { name: 'Bearer token' }).fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  await expect(page.getByText('a bearer token is required', { exact: false }).or(page.getByText('not valid'))).toBeVisible();
});

test('a tab picked before the development identities arrive stays picked when they do', async ({ page }) => {
  // The identities held back until the person has picked the token tab, as on a slow first load.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/console/dev/identities', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/console/');
  await page.getByRole('tab', { name: 'Paste a token' }).click();
  release();
  await expect(page.getByRole('tab', { name: 'Development sign-in' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Paste a token' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('textbox', { name: 'Bearer token' })).toBeVisible();
});
