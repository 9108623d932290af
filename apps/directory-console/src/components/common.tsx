import { Alert, Badge, Group, Loader, Text } from '@mantine/core';
import type { CombinedError } from 'urql';
import { errorText } from '../api/client';

const CLASSIFICATION_COLORS: Record<string, string> = { PUBLIC: 'green', INTERNAL: 'blue', RESTRICTED: 'orange', CONFIDENTIAL: 'red' };

export function ClassificationBadge({ value }: { value: string }) {
  return (
    <Badge color={CLASSIFICATION_COLORS[value] ?? 'gray'} variant="light" styles={NO_ELLIPSIS}>
      {value.toLowerCase()}
    </Badge>
  );
}

const ACTION_WORDS: Record<string, string> = { DISCOVER: 'discover', READ: 'read schema', EXCHANGE: 'exchange records' };

export function AccessBadges({ actions }: { actions: readonly string[] }) {
  if (actions.length === 0) return <Text size="xs">no access</Text>;
  return (
    <Group gap={4}>
      {actions.map((a) => (
        <Badge key={a} size="xs" variant="outline" color={a === 'EXCHANGE' ? 'teal' : 'gray'}>
          {ACTION_WORDS[a] ?? a}
        </Badge>
      ))}
    </Group>
  );
}

/** A badge in a table cell keeps its whole word rather than shrinking to an ellipsis. */
export const NO_ELLIPSIS = { label: { overflow: 'visible' } } as const;

const STATUS_COLORS: Record<string, string> = { REQUESTED: 'yellow', APPROVED: 'blue', REJECTED: 'red', DELIVERED: 'green' };

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="filled" styles={NO_ELLIPSIS}>
      {status.toLowerCase()}
    </Badge>
  );
}

/** An error in the service's own words, announced to screen readers. */
export function ErrorNote({ error, text }: { error?: CombinedError | null; text?: string | null }) {
  const message = text ?? errorText(error);
  if (!message) return null;
  return (
    <Alert color="red" variant="light" role="alert" p="xs">
      {message}
    </Alert>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Group gap="xs" c="dimmed" py="sm">
      <Loader size="sm" aria-label={label} />
      <Text size="sm">{label}</Text>
    </Group>
  );
}

/** An exchange's file by its title, or said to be out of sight: a party that may no longer discover it is not shown it. */
export const exchangeFileTitle = (x: { file?: { title: string } | null }): string =>
  x.file?.title ?? 'A file your department may no longer see';

export const formatDate = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
