import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { personPage, PUBLIC_KEY, REPO_ROOT, shot, signIn } from './console';

const MEMBER = 'Chaoyang Civil Affairs Bureau';
const OWNER = 'Beijing Health Commission';

test.describe.serial('a member requests data, the owner approves, the member receives it with a receipt', () => {
  test('the member searches the directory and requests three fields', async ({ page }) => {
    await signIn(page, MEMBER, ['MEMBER'], 'li.na');
    await expect(page.getByTestId('identity')).toContainText('Chaoyang');
    const total = page.getByTestId('total');
    await expect(total).toHaveText(/^\d+ files?$/);
    const everything = await total.textContent();
    await page.getByRole('textbox', { name: 'Search the directory' }).fill('vaccination');
    await expect(page).toHaveURL(/q=vaccination/);
    // The search narrows the exact total (the whole directory holds far more than the matches).
    await expect(total).not.toHaveText(everything ?? '');
    await expect(total).toHaveText(/^\d+ files?$/);
    const found = parseInt((await total.textContent()) ?? '', 10);
    const facets = page.getByRole('complementary', { name: 'Facets' });
    // Counts are of what this member may discover: public files only, outside its district,
    // so the public count is the whole exact total.
    await expect(facets.getByRole('checkbox', { name: new RegExp(`^public\\s*${found}$`) })).toBeVisible();
    await expect(facets.getByRole('checkbox', { name: /restricted/ })).toHaveCount(0);
    await shot(page, 'directory');

    await page.getByRole('link', { name: 'Childhood vaccination records' }).click();
    const fields = page.getByRole('table', { name: 'Fields' });
    await expect(fields).toContainText('vaccine');
    // The catalogue shows every field with READ; a sensitive one's values need a grant naming it.
    await expect(fields.getByRole('row', { name: /patient_name/ })).toContainText('no, request it');
    await expect(page.getByRole('list', { name: 'Reasons' })).toContainText('READ');
    await shot(page, 'file');

    for (const field of ['record_id', 'clinic', 'vaccine']) await page.getByRole('checkbox', { name: field, exact: true }).check();
    await page.getByRole('textbox', { name: 'Purpose' }).fill('Plan school vaccination days in Chaoyang');
    await page.getByRole('button', { name: 'Send request' }).click();
    await expect(page.getByText('requested', { exact: true })).toBeVisible();
  });

  test("the owner's steward approves from the inbox", async ({ page }) => {
    await signIn(page, OWNER, ['STEWARD'], 'wang.steward');
    await page.getByRole('link', { name: 'Exchanges' }).click();
    await page.getByRole('tab', { name: /Steward inbox/ }).click();
    const row = page.getByRole('row', { name: /Childhood vaccination records/ });
    await expect(row).toContainText('requested');
    await shot(page, 'inbox');
    await row.getByRole('button', { name: 'Decide' }).click();
    await page.getByLabel(/Note \(for an approval\)/).fill('Approved for the school programme');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(row).toContainText('approved');
  });

  test('the member receives the rows and downloads a receipt the CLI verifies', async ({ browser }, testInfo) => {
    const page = await personPage(browser, MEMBER, ['MEMBER'], 'li.na');
    await page.getByRole('link', { name: 'Exchanges' }).click();
    await page
      .getByRole('row', { name: /Childhood vaccination records/ })
      .getByRole('link', { name: 'Childhood vaccination records' })
      .click();
    await page.getByRole('button', { name: 'Receive the delivery' }).click();
    const records = page.getByRole('table', { name: 'Delivered records' });
    await expect(records.getByRole('row')).toHaveCount(4);
    await expect(records).toContainText('Chaoyang Central');
    await expect(records).not.toContainText('Zhang Min');

    // The service signs a checkpoint within a second; until then the console says so.
    const download = page.getByRole('button', { name: 'Download receipt (JSON)' });
    await expect(async () => {
      if (!(await download.isVisible())) await page.getByRole('button', { name: 'Check again' }).click();
      await expect(download).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await shot(page, 'delivery');
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    const saved = testInfo.outputPath('receipt.json');
    await file.saveAs(saved);
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toMatchObject({ ledger: 'beijing', checkpoint: { ledger: 'beijing' } });

    const verdict = execFileSync(
      process.execPath,
      [
        '--import',
        '@swc-node/register/esm-register',
        'apps/directory-cli/src/main.ts',
        'audit:check-receipt',
        saved,
        '--public-key',
        PUBLIC_KEY,
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    expect(verdict).toContain('receipt verifies');
  });
});
