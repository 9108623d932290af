import { fileURLToPath } from 'node:url';
import { expect, type Browser, type Page } from '@playwright/test';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../../reports/console/screenshots/', import.meta.url));
export const PUBLIC_KEY = fileURLToPath(new URL('../../../reports/console/audit-public-key.pem', import.meta.url));

const ROLE_LABELS: Record<string, RegExp> = {
  MEMBER: /^Member/,
  STEWARD: /^Steward/,
  DISTRICT_ADMIN: /^District administrator/,
  PLATFORM_ADMIN: /^Platform administrator/,
  AUDITOR: /^Auditor/,
};

/** Signs in through the development sign-in page, as a person would. */
export async function signIn(page: Page, departmentName: string, roles: string[], subject: string): Promise<void> {
  await page.goto('/console/');
  await expect(page.getByRole('tab', { name: 'Development sign-in' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Department' }).fill(departmentName);
  await page.getByRole('option', { name: new RegExp(`^${departmentName} —`) }).click();
  for (const [role, label] of Object.entries(ROLE_LABELS)) {
    await page.getByRole('checkbox', { name: label }).setChecked(roles.includes(role));
  }
  await page.getByLabel("Your name (the token's subject)").fill(subject);
  await page.getByRole('button', { name: 'Sign in for development' }).click();
  await expect(page.getByTestId('identity')).toContainText(departmentName);
}

/** A fresh browser context: its own sessionStorage, so its own signed-in person. */
export async function personPage(browser: Browser, departmentName: string, roles: string[], subject: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, departmentName, roles, subject);
  return page;
}

/** A screenshot of the window as a person sees it, from the top of the page. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}
