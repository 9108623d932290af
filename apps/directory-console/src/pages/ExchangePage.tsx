import { Alert, Anchor, Button, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { DeliverExchangeMutation, ExchangeQuery } from '../api/operations';
import type { ExchangeQuery as ExchangeResult } from '../gql/graphql';
import { ErrorNote, exchangeFileTitle, formatDate, Loading, StatusBadge } from '../components/common';
import { useIdentity } from '../session/session';

type Receipt = NonNullable<NonNullable<ExchangeResult['exchange']>['receipt']>;

/** Delivered rows are handed over once; the tab keeps them so a reload still shows them. */
const deliveredKey = (id: string) => `directory-console.delivery.${id}`;
const keptRecords = (id: string): unknown[] | null => JSON.parse(sessionStorage.getItem(deliveredKey(id)) ?? 'null') as unknown[] | null;

/** The receipt as `npm run cli -- audit:check-receipt` reads it. */
function downloadReceipt(receipt: Receipt, exchangeId: string) {
  const { ledger, seq, entryHash, proof, checkpoint } = receipt;
  const body = JSON.stringify({ ledger, seq, entryHash, proof, checkpoint }, null, 2);
  const url = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `receipt-${exchangeId}.json`;
  a.click();
  URL.revokeObjectURL(url);
}

/** Rows are JSON: plain values as they are, anything nested as JSON. */
const cell = (value: unknown): string =>
  typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);

function RecordsTable({ records }: { records: unknown[] }) {
  const rows = records as Record<string, unknown>[];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table striped withTableBorder aria-label="Delivered records">
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c}>{c}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={i}>
              {columns.map((c) => (
                <Table.Td key={c}>{cell(r[c])}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ExchangePage() {
  const { id = '' } = useParams();
  const identity = useIdentity();
  const [{ data, error, fetching }, refetch] = useQuery({ query: ExchangeQuery, variables: { id } });
  const [delivered, deliver] = useMutation(DeliverExchangeMutation);
  const [records, setRecords] = useState<unknown[] | null>(() => keptRecords(id));

  if (fetching && !data) return <Loading label="Loading the exchange" />;
  if (error) return <ErrorNote error={error} />;
  const x = data?.exchange;
  if (!x) return <Alert color="gray">No such exchange, or your department is not a party to it.</Alert>;
  const requester = x.requester.code === identity.department.code;

  const receive = async () => {
    const done = await deliver({ id: x.id });
    if (done.data) {
      const rows = done.data.deliverExchange.records;
      sessionStorage.setItem(deliveredKey(x.id), JSON.stringify(rows));
      setRecords(rows);
      refetch({ requestPolicy: 'network-only' });
    }
  };

  return (
    <Stack>
      <Anchor component={Link} to="/exchanges" size="sm">
        ← Exchanges
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{exchangeFileTitle(x)}</Title>
        <StatusBadge status={x.status} />
      </Group>
      <Paper withBorder p="md">
        <Stack gap={4}>
          <Text size="sm">
            <b>{x.requester.name}</b> asked <b>{x.owner.name}</b> for <b>{x.fields.join(', ')}</b> on {formatDate(x.requestedAt)}.
          </Text>
          <Text size="sm">Purpose: “{x.purpose}”</Text>
          {x.decidedAt && (
            <Text size="sm">
              Decided by {x.decidedBy} on {formatDate(x.decidedAt)}.
            </Text>
          )}
          {x.deliveredAt && (
            <Text size="sm">
              Delivered on {formatDate(x.deliveredAt)}; content hash <Code>{x.contentHash}</Code>
            </Text>
          )}
        </Stack>
      </Paper>
      {requester && x.status === 'APPROVED' && (
        <Group>
          <Button onClick={() => void receive()} loading={delivered.fetching}>
            Receive the delivery
          </Button>
          <ErrorNote error={delivered.error} />
        </Group>
      )}
      {records && (
        <Paper withBorder p="md" component="section" aria-labelledby="delivery-title">
          <Title order={3} size="h4" id="delivery-title" mb="xs">
            Delivered records ({records.length})
          </Title>
          <RecordsTable records={records} />
        </Paper>
      )}
      {x.status === 'DELIVERED' && !records && requester && (
        <Text c="dimmed">The rows were handed over once; request again for a new copy.</Text>
      )}
      {x.receipt && (
        <Paper withBorder p="md" component="section" aria-labelledby="receipt-title">
          <Stack gap="xs">
            <Title order={3} size="h4" id="receipt-title">
              Audit receipt
            </Title>
            <Text size="sm">
              Entry {x.receipt.seq} of ledger {x.receipt.ledger}, hash <Code>{x.receipt.entryHash.slice(0, 16)}…</Code>
            </Text>
            {x.receipt.checkpoint ? (
              <Group>
                <Button variant="light" onClick={() => downloadReceipt(x.receipt!, x.id)}>
                  Download receipt (JSON)
                </Button>
                <Text size="xs" c="dimmed">
                  Verify offline: npm run cli -- audit:check-receipt receipt.json --public-key KEY
                </Text>
              </Group>
            ) : (
              <Group>
                <Text size="sm" c="dimmed">
                  No signed checkpoint covers this entry yet; the service signs one within a minute.
                </Text>
                <Button variant="default" size="xs" onClick={() => refetch({ requestPolicy: 'network-only' })}>
                  Check again
                </Button>
              </Group>
            )}
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
