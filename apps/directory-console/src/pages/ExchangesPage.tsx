import { Anchor, Button, Group, Modal, Paper, Select, Stack, Table, Tabs, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ApproveExchangeMutation, ExchangesQuery, RejectExchangeMutation } from '../api/operations';
import type { ExchangeStatus, ExchangesQuery as ExchangesResult } from '../gql/graphql';
import { ErrorNote, exchangeFileTitle, formatDate, Loading, StatusBadge } from '../components/common';
import { hasRole, useIdentity } from '../session/session';

type ExchangeRow = ExchangesResult['exchanges']['edges'][number]['node'];
const PAGE_SIZE = 50;
const STATUSES = ['REQUESTED', 'APPROVED', 'REJECTED', 'DELIVERED'];

function DecideDialog({ exchange, onClose }: { exchange: ExchangeRow; onClose: () => void }) {
  const [text, setText] = useState('');
  const [approved, approve] = useMutation(ApproveExchangeMutation);
  const [rejected, reject] = useMutation(RejectExchangeMutation);
  const decide = async (approving: boolean) => {
    const done = approving
      ? await approve({ id: exchange.id, note: text.trim() || null })
      : await reject({ id: exchange.id, reason: text });
    if (!done.error) onClose();
  };
  return (
    <Modal opened onClose={onClose} title={`Decide: ${exchangeFileTitle(exchange)}`} size="lg">
      <Stack gap="sm">
        <Text size="sm">
          <b>{exchange.requester.name}</b> asks for <b>{exchange.fields.join(', ')}</b>.
        </Text>
        <Text size="sm">Purpose: “{exchange.purpose}”</Text>
        <Textarea
          label="Note (for an approval) or reason (required to reject)"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          autosize
          minRows={2}
          data-autofocus
        />
        <ErrorNote error={approved.error ?? rejected.error} />
        <Group justify="flex-end">
          <Button color="red" variant="light" loading={rejected.fetching} onClick={() => void decide(false)}>
            Reject
          </Button>
          <Button color="teal" loading={approved.fetching} onClick={() => void decide(true)}>
            Approve
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ExchangeTable({ rows, decide }: { rows: ExchangeRow[]; decide?: (row: ExchangeRow) => void }) {
  if (rows.length === 0) return <Text c="dimmed">Nothing here.</Text>;
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>File</Table.Th>
            <Table.Th>{decide ? 'Requester' : 'Owner'}</Table.Th>
            <Table.Th>Fields</Table.Th>
            <Table.Th>Purpose</Table.Th>
            <Table.Th>Requested</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((x) => (
            <Table.Tr key={x.id}>
              <Table.Td>
                <Anchor component={Link} to={`/exchanges/${x.id}`} size="sm">
                  {exchangeFileTitle(x)}
                </Anchor>
              </Table.Td>
              <Table.Td>{decide ? x.requester.name : x.owner.name}</Table.Td>
              <Table.Td>{x.fields.join(', ')}</Table.Td>
              <Table.Td maw={240}>
                <Text size="sm" lineClamp={2}>
                  {x.purpose}
                </Text>
              </Table.Td>
              <Table.Td>{formatDate(x.requestedAt)}</Table.Td>
              <Table.Td>
                <StatusBadge status={x.status} />
              </Table.Td>
              <Table.Td>
                {decide && x.status === 'REQUESTED' ? (
                  <Button size="xs" onClick={() => decide(x)}>
                    Decide
                  </Button>
                ) : (
                  <Button size="xs" variant="subtle" component={Link} to={`/exchanges/${x.id}`}>
                    Open
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ExchangesPage() {
  const identity = useIdentity();
  const steward = hasRole(identity, 'STEWARD');
  const [status, setStatus] = useState<string | null>(null);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [deciding, setDeciding] = useState<ExchangeRow | null>(null);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: ExchangesQuery,
    variables: { status: status as ExchangeStatus | null, first: PAGE_SIZE, after: cursors[cursors.length - 1] },
  });
  const connection = data?.exchanges;
  const rows = connection?.edges.map((e) => e.node) ?? [];
  const mine = rows.filter((x) => x.requester.code === identity.department.code);
  const incoming = rows.filter((x) => x.owner.code === identity.department.code);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Exchanges</Title>
        <Select
          label="Status"
          placeholder="any status"
          clearable
          data={STATUSES.map((s) => ({ value: s, label: s.toLowerCase() }))}
          value={status}
          onChange={(s) => (setStatus(s), setCursors([null]))}
          w={180}
        />
      </Group>
      <ErrorNote error={error} />
      {fetching && !data && <Loading label="Loading exchanges" />}
      <Paper withBorder p="md">
        <Tabs defaultValue={steward ? 'inbox' : 'mine'}>
          <Tabs.List>
            <Tabs.Tab value="mine">My department's requests ({mine.length})</Tabs.Tab>
            {steward && (
              <Tabs.Tab value="inbox">Steward inbox ({incoming.filter((x) => x.status === 'REQUESTED').length} waiting)</Tabs.Tab>
            )}
          </Tabs.List>
          <Tabs.Panel value="mine" pt="sm">
            <ExchangeTable rows={mine} />
          </Tabs.Panel>
          {steward && (
            <Tabs.Panel value="inbox" pt="sm">
              <ExchangeTable rows={incoming} decide={setDeciding} />
            </Tabs.Panel>
          )}
        </Tabs>
        <Group justify="space-between" mt="sm">
          <Text size="sm" c="dimmed">
            {connection ? `${connection.totalCount} in all` : ''}
          </Text>
          <Group>
            <Button variant="default" size="xs" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </Button>
            <Button
              variant="default"
              size="xs"
              disabled={!connection?.pageInfo.hasNextPage}
              onClick={() => connection?.pageInfo.endCursor && setCursors([...cursors, connection.pageInfo.endCursor])}
            >
              Next page
            </Button>
          </Group>
        </Group>
      </Paper>
      {deciding && (
        <DecideDialog
          exchange={deciding}
          onClose={() => {
            setDeciding(null);
            refetch({ requestPolicy: 'network-only' });
          }}
        />
      )}
    </Stack>
  );
}
