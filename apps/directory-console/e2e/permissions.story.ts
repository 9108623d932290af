import { expect, test, type Page } from '@playwright/test';
import { personPage, shot } from './console';

const MEMBER = 'Chaoyang Civil Affairs Bureau';
const FILE = 'Clinic bed capacity';

async function searchFor(page: Page, text: string) {
  await page.getByRole('link', { name: 'Directory' }).click();
  await page.getByRole('textbox', { name: 'Search the directory' }).fill(text);
  await expect(page.getByTestId('total')).toHaveText(/^\d+ files?$/);
}

test('an administrator grants a field-limited grant, the member sees the file, and a revocation takes it away', async ({ browser }) => {
  const member = await personPage(browser, MEMBER, ['MEMBER'], 'li.na');
  await searchFor(member, 'clinic capacity');
  await expect(member.getByRole('link', { name: FILE })).toHaveCount(0);

  const admin = await personPage(browser, 'Beijing Government Services and Data Bureau', ['PLATFORM_ADMIN'], 'zhao.admin');
  await admin.getByRole('link', { name: 'Permissions' }).click();
  await admin.getByRole('textbox', { name: 'File', exact: true }).fill('Clinic bed');
  await admin.getByRole('option', { name: new RegExp(FILE) }).click();
  await expect(admin.getByText('No grant on this file')).toBeVisible();

  await admin.getByRole('textbox', { name: 'Grant to department' }).fill(MEMBER);
  await admin.getByRole('option', { name: new RegExp(`^${MEMBER}`) }).click();
  // The error of a grant without a purpose is shown beside the form, in words.
  await admin.getByRole('button', { name: 'Grant', exact: true }).click();
  await expect(admin.getByRole('alert')).toContainText(/purpose/i);

  await admin.getByRole('textbox', { name: 'Fields' }).click();
  for (const field of ['clinic', 'beds']) await admin.getByRole('option', { name: field, exact: true }).click();
  await admin.keyboard.press('Escape');
  await admin.getByRole('checkbox', { name: 'EXCHANGE' }).check();
  await admin.getByRole('textbox', { name: 'Purpose' }).fill('Emergency bed planning');
  await admin.getByRole('button', { name: 'Grant', exact: true }).click();
  const grants = admin.getByRole('table', { name: 'Grants' });
  await expect(grants.getByRole('row', { name: new RegExp(MEMBER) })).toContainText('active');
  await expect(grants).toContainText('beds, clinic');
  await shot(admin, 'permissions');

  await searchFor(member, 'clinic capacity');
  await member.getByRole('link', { name: FILE }).click();
  const fields = member.getByRole('table', { name: 'Fields' });
  await expect(fields.getByRole('row', { name: /beds/ })).toContainText('yes');
  // The sensitive field is in the catalogue, but no grant names it.
  await expect(fields.getByRole('row', { name: /head_nurse/ })).toContainText('no, request it');

  const row = grants.getByRole('row', { name: new RegExp(MEMBER) });
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Confirm revoke' }).click();
  await expect(row.getByText(/reason/i).last()).toBeVisible();
  await row.getByLabel('Reason for revoking').fill('Planning finished');
  await row.getByRole('button', { name: 'Confirm revoke' }).click();
  await expect(grants.getByRole('row', { name: new RegExp(MEMBER) })).toHaveCount(0);

  await member.reload();
  await expect(member.getByText('No such file, or your department may not discover it.')).toBeVisible();
});
