import { BarChart, DonutChart } from '@mantine/charts';
import { Alert, Badge, Button, Code, Grid, Group, Paper, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { AuditLogQuery, ExchangesQuery, LatestCheckpointQuery, LedgersQuery, VerifyLedgerQuery } from '../api/operations';
import type { VerifyLedgerQuery as VerifyResult } from '../gql/graphql';
import { errorText } from '../api/client';
import { ErrorNote, formatDate, Loading } from '../components/common';

const ENTRIES_PER_PAGE = 15;
/** The chart counts the latest entries of a ledger, up to this many. */
const CHART_WINDOW = 500;
const PALETTE = ['indigo.6', 'teal.6', 'orange.6', 'grape.6', 'cyan.6', 'lime.6', 'pink.6', 'yellow.6', 'blue.6', 'red.6'];
const STATUS_COLORS: Record<string, string> = { REQUESTED: 'yellow.6', APPROVED: 'blue.6', REJECTED: 'red.6', DELIVERED: 'teal.6' };

function LedgerRow({ code, name, selected, onSelect }: { code: string; name: string; selected: boolean; onSelect: () => void }) {
  const [{ data }] = useQuery({ query: LatestCheckpointQuery, variables: { ledger: code } });
  const checkpoint = data?.latestCheckpoint;
  return (
    <Table.Tr bg={selected ? 'var(--mantine-color-indigo-0)' : undefined}>
      <Table.Td>
        <Button variant={selected ? 'filled' : 'subtle'} size="compact-sm" onClick={onSelect} aria-pressed={selected}>
          {name}
        </Button>
      </Table.Td>
      <Table.Td>{checkpoint ? checkpoint.size : data ? '—' : '…'}</Table.Td>
      <Table.Td>
        <Text size="xs">{checkpoint ? formatDate(checkpoint.signedAt) : data ? 'none yet' : '…'}</Text>
      </Table.Td>
    </Table.Tr>
  );
}

function VerifyPanel({ ledger }: { ledger: string }) {
  const client = useClient();
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<VerifyResult['verifyAuditChain'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const verify = async () => {
    setRunning(true);
    setResult(null);
    setError(null);
    const answer = await client.query(VerifyLedgerQuery, { ledger }, { requestPolicy: 'network-only' }).toPromise();
    setRunning(false);
    if (answer.data) setResult(answer.data.verifyAuditChain);
    else setError(errorText(answer.error));
  };
  return (
    <Stack gap="xs">
      <Group>
        <Button onClick={() => void verify()} loading={running}>
          Verify ledger {ledger}
        </Button>
        {result && (
          <Badge size="lg" color={result.ok ? 'teal' : 'red'} data-testid="verify-result">
            {result.ok ? `verified: ${result.checked} entries` : `FAILED at seq ${result.firstBadSeq ?? '?'}`}
          </Badge>
        )}
      </Group>
      {running && (
        <Progress value={100} animated striped aria-label="Verifying every entry's hash and link, and every checkpoint signature" />
      )}
      {result && !result.ok && <Alert color="red">{result.reason}</Alert>}
      <ErrorNote text={error} />
    </Stack>
  );
}

function EntriesPanel({ ledger }: { ledger: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [{ data, error, fetching }] = useQuery({
    query: AuditLogQuery,
    variables: { ledger, afterSeq: cursors[cursors.length - 1], first: ENTRIES_PER_PAGE },
  });
  const edges = data?.auditLog.edges ?? [];
  return (
    <Stack>
      <Paper withBorder p="md" component="section" aria-labelledby="entries-title">
        <Title order={3} size="h5" id="entries-title" mb="sm">
          Entries
        </Title>
        <ErrorNote error={error} />
        {fetching && !data && <Loading label="Loading entries" />}
        <Table.ScrollContainer minWidth={600}>
          <Table striped verticalSpacing={4} aria-label="Audit entries">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Seq</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Hash</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {edges.map(({ node }) => (
                <Table.Tr key={node.seq}>
                  <Table.Td>{node.seq}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{formatDate(node.occurredAt)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{node.actor}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{node.action}</Text>
                    <Text size="xs" c="dimmed">
                      {node.subjectType} {node.subjectId.slice(0, 8)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code>{node.hash.slice(0, 10)}…</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Group justify="flex-end" mt="sm">
          <Button variant="default" size="xs" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous page
          </Button>
          <Button
            variant="default"
            size="xs"
            disabled={!data?.auditLog.pageInfo.hasNextPage}
            onClick={() => edges.length && setCursors([...cursors, edges[edges.length - 1].node.seq])}
          >
            Next page
          </Button>
        </Group>
      </Paper>
    </Stack>
  );
}

/** Entries per day of every ledger, from each ledger's latest entries (those a checkpoint covers, and a little beyond). */
function ActivityChart({ ledgers }: { ledgers: { code: string; name: string }[] }) {
  const client = useClient();
  const [rows, setRows] = useState<Record<string, string | number>[] | null>(null);
  const [series, setSeries] = useState<{ name: string; color: string }[]>([]);
  const codes = ledgers.map((l) => l.code).join(',');
  useEffect(() => {
    let current = true;
    void (async () => {
      const perLedger = await Promise.all(
        ledgers.map(async ({ code }) => {
          const checkpoint = await client.query(LatestCheckpointQuery, { ledger: code }).toPromise();
          const size = Number(checkpoint.data?.latestCheckpoint?.size ?? 0);
          if (size === 0) return { code, days: new Map<string, number>() };
          const log = await client
            .query(AuditLogQuery, { ledger: code, afterSeq: String(Math.max(0, size - CHART_WINDOW + 100)), first: CHART_WINDOW })
            .toPromise();
          const days = new Map<string, number>();
          for (const { node } of log.data?.auditLog.edges ?? [])
            days.set(node.occurredAt.slice(0, 10), (days.get(node.occurredAt.slice(0, 10)) ?? 0) + 1);
          return { code, days };
        }),
      );
      if (!current) return;
      const active = perLedger.filter((l) => l.days.size > 0);
      const allDays = [...new Set(active.flatMap((l) => [...l.days.keys()]))].sort();
      setRows(allDays.map((day) => ({ day, ...Object.fromEntries(active.map((l) => [l.code, l.days.get(day) ?? 0])) })));
      setSeries(active.map((l, i) => ({ name: l.code, color: PALETTE[i % PALETTE.length] })));
    })();
    return () => {
      current = false;
    };
    // The ledgers are named by their codes; a new array of the same ledgers needs no new fetch.
  }, [client, codes]);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="per-day-title">
      <Title order={3} size="h5" id="per-day-title" mb="sm">
        Entries per day, by ledger (latest {CHART_WINDOW} of each)
      </Title>
      {!rows && <Loading label="Counting entries" />}
      {rows && rows.length === 0 && <Text c="dimmed">No signed entries yet.</Text>}
      {rows && rows.length > 0 && (
        <BarChart h={220} data={rows} dataKey="day" type="stacked" series={series} withLegend legendProps={{ verticalAlign: 'bottom' }} />
      )}
    </Paper>
  );
}

function ExchangesByStatus() {
  const [requested] = useQuery({ query: ExchangesQuery, variables: { status: 'REQUESTED', first: 1 } });
  const [approved] = useQuery({ query: ExchangesQuery, variables: { status: 'APPROVED', first: 1 } });
  const [rejected] = useQuery({ query: ExchangesQuery, variables: { status: 'REJECTED', first: 1 } });
  const [delivered] = useQuery({ query: ExchangesQuery, variables: { status: 'DELIVERED', first: 1 } });
  const data = [
    ['REQUESTED', requested],
    ['APPROVED', approved],
    ['REJECTED', rejected],
    ['DELIVERED', delivered],
  ].map(([status, r]) => ({
    name: (status as string).toLowerCase(),
    value: (r as typeof requested).data?.exchanges.totalCount ?? 0,
    color: STATUS_COLORS[status as string],
  }));
  const total = data.reduce((n, d) => n + d.value, 0);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="by-status-title">
      <Title order={3} size="h5" id="by-status-title" mb="sm">
        Exchanges your department is party to, by status
      </Title>
      {total ? <DonutChart data={data} withLabels withLabelsLine h={200} mx="auto" /> : <Text c="dimmed">No exchanges yet.</Text>}
      <Group gap="xs" justify="center" mt="xs">
        {data.map((d) => (
          <Badge key={d.name} color={d.color.split('.')[0]} variant="light">
            {d.name} {d.value}
          </Badge>
        ))}
      </Group>
    </Paper>
  );
}

export function AuditPage() {
  const [{ data, error, fetching }] = useQuery({ query: LedgersQuery });
  const [ledger, setLedger] = useState<string | null>(null);
  const ledgers = data?.districts ?? [];
  return (
    <Stack>
      <Title order={2}>Audit</Title>
      <Text c="dimmed" size="sm">
        Each district keeps a hash-chained ledger; signed checkpoints fix its Merkle root. Signing key{' '}
        {data?.auditPublicKeys[0]?.keyId ?? '…'}.
      </Text>
      <ErrorNote error={error} />
      {fetching && !data && <Loading label="Loading ledgers" />}
      <Grid>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack>
            <Paper withBorder p="md" component="section" aria-labelledby="ledgers-title">
              <Title order={3} size="h5" id="ledgers-title" mb="sm">
                Ledgers
              </Title>
              <Table verticalSpacing={4} aria-label="Ledgers">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Ledger</Table.Th>
                    <Table.Th>Size</Table.Th>
                    <Table.Th>Signed</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {ledgers.map((d) => (
                    <LedgerRow key={d.code} code={d.code} name={d.name} selected={d.code === ledger} onSelect={() => setLedger(d.code)} />
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
            <ExchangesByStatus />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          {ledgers.length > 0 && <ActivityChart ledgers={ledgers} />}
          {ledger ? (
            <Stack mt="md">
              <Paper withBorder p="md">
                <VerifyPanel key={ledger} ledger={ledger} />
              </Paper>
              <EntriesPanel key={ledger} ledger={ledger} />
            </Stack>
          ) : (
            <Text c="dimmed" mt="md">
              Pick a ledger to page its entries and verify it.
            </Text>
          )}
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
