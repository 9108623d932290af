import {
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  Pagination,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import {
  DirectoryReferenceQuery,
  FileQuery,
  FilesQuery,
  GrantPermissionMutation,
  GrantScopePermissionMutation,
  PermissionsQuery,
  RevokePermissionMutation,
} from '../api/operations';
import type { Action, Classification, PermissionsQuery as PermissionsResult } from '../gql/graphql';
import { ClassificationBadge, ErrorNote, formatDate, Loading, NO_ELLIPSIS } from '../components/common';
import { hasRole, useIdentity } from '../session/session';

type PermissionRow = PermissionsResult['permissions'][number];
const ACTIONS: Action[] = ['DISCOVER', 'READ', 'EXCHANGE'];
const CLASSIFICATIONS: Classification[] = ['PUBLIC', 'INTERNAL', 'RESTRICTED', 'CONFIDENTIAL'];
const ROWS_PER_PAGE = 15;

/** A date picked in the form means the end of that day, local time. */
const endOfDay = (date: string): string | null => (date ? new Date(`${date}T23:59:59`).toISOString() : null);

function useDepartmentOptions() {
  const [{ data }] = useQuery({ query: DirectoryReferenceQuery });
  return (data?.departments ?? []).map((d) => ({ value: d.code, label: `${d.name} (${d.district.code})` }));
}

function FilePicker({ fileId, onPick }: { fileId: string | null; onPick: (id: string) => void }) {
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 300);
  const [{ data }] = useQuery({ query: FilesQuery, variables: { filter: debounced ? { search: debounced } : {}, first: 10 } });
  const options = (data?.files.edges ?? []).map((e) => ({ value: e.node.id, label: e.node.title }));
  return (
    <Select
      label="File"
      placeholder="Search for a file by title"
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      data={options}
      value={options.some((o) => o.value === fileId) ? fileId : null}
      onChange={(id, option) => {
        if (!id) return;
        setSearch(option.label);
        onPick(id);
      }}
      nothingFoundMessage="No file matches"
    />
  );
}

function RevokeControl({ permission, onDone }: { permission: PermissionRow; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [open, setOpen] = useState(false);
  const [result, revoke] = useMutation(RevokePermissionMutation);
  if (!open)
    return (
      <Button size="xs" variant="light" color="red" onClick={() => setOpen(true)}>
        Revoke
      </Button>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await revoke({ id: permission.id, reason });
    if (!done.error) onDone();
  };
  return (
    <form onSubmit={(e) => void submit(e)}>
      <Stack gap={4} miw={220}>
        <TextInput
          size="xs"
          label="Reason for revoking"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={result.error ? (result.error.graphQLErrors[0]?.message ?? result.error.message) : null}
        />
        <Group gap={4}>
          <Button size="xs" color="red" type="submit" loading={result.fetching}>
            Confirm revoke
          </Button>
          <Button size="xs" variant="subtle" onClick={() => setOpen(false)}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function statusOf(p: PermissionRow): { label: string; color: string } {
  if (p.active) return { label: 'active', color: 'green' };
  if (p.revokedAt) return { label: 'revoked', color: 'red' };
  if (p.expiresAt && new Date(p.expiresAt) < new Date()) return { label: 'expired', color: 'gray' };
  return { label: 'not yet valid', color: 'yellow' };
}

function HoldersTable({ fileId, canRevoke }: { fileId: string; canRevoke: boolean }) {
  const [includeInactive, setIncludeInactive] = useState(false);
  const [asOf, setAsOf] = useState('');
  const [page, setPage] = useState(1);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: PermissionsQuery,
    variables: { fileId, includeInactive, asOf: asOf ? new Date(asOf).toISOString() : null },
  });
  const rows = data?.permissions ?? [];
  const pages = Math.max(1, Math.ceil(rows.length / ROWS_PER_PAGE));
  const shown = rows.slice((page - 1) * ROWS_PER_PAGE, page * ROWS_PER_PAGE);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="holders-title">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-end">
          <Title order={3} size="h4" id="holders-title">
            Who holds what
          </Title>
          <Group align="flex-end">
            <Switch
              label="Include past grants"
              checked={includeInactive}
              onChange={(e) => (setIncludeInactive(e.currentTarget.checked), setPage(1))}
            />
            <TextInput
              type="datetime-local"
              label="As of"
              value={asOf}
              onChange={(e) => (setAsOf(e.currentTarget.value), setPage(1))}
              size="xs"
            />
          </Group>
        </Group>
        <ErrorNote error={error} />
        {fetching && !data && <Loading label="Loading grants" />}
        {data && rows.length === 0 && (
          <Text c="dimmed">No grant on this file{asOf ? ' at that time' : ''}; only the default rules apply.</Text>
        )}
        {shown.length > 0 && (
          <Table.ScrollContainer minWidth={860}>
            <Table striped aria-label="Grants">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Department</Table.Th>
                  <Table.Th>Actions</Table.Th>
                  <Table.Th>Fields</Table.Th>
                  <Table.Th>Purpose</Table.Th>
                  <Table.Th>Valid</Table.Th>
                  <Table.Th>Granted by</Table.Th>
                  <Table.Th>Status</Table.Th>
                  {canRevoke && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {shown.map((p) => {
                  const status = statusOf(p);
                  return (
                    <Table.Tr key={p.id}>
                      <Table.Td>{p.grantee.name}</Table.Td>
                      <Table.Td>{p.actions.join(', ').toLowerCase()}</Table.Td>
                      <Table.Td>{p.fields ? p.fields.join(', ') : <em>all fields</em>}</Table.Td>
                      <Table.Td maw={220}>
                        <Text size="sm" lineClamp={2}>
                          {p.purpose}
                        </Text>
                        {p.scopeCategory && (
                          <Text size="xs" c="dimmed">
                            scope: {p.scopeCategory} up to {p.scopeMaxClassification?.toLowerCase()}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs">from {formatDate(p.validFrom)}</Text>
                        <Text size="xs">{p.expiresAt ? `until ${formatDate(p.expiresAt)}` : 'no expiry'}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs">{p.grantedBy}</Text>
                        {p.revokedBy && (
                          <Text size="xs" c="red">
                            revoked by {p.revokedBy}
                            {p.revokeReason ? `: ${p.revokeReason}` : ''}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <Badge color={status.color} variant="light" styles={NO_ELLIPSIS}>
                          {status.label}
                        </Badge>
                      </Table.Td>
                      {canRevoke && (
                        <Table.Td>
                          {p.active && !p.scopeCategory && (
                            <RevokeControl permission={p} onDone={() => refetch({ requestPolicy: 'network-only' })} />
                          )}
                        </Table.Td>
                      )}
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {pages > 1 && <Pagination total={pages} value={page} onChange={setPage} size="sm" aria-label="Grant pages" />}
      </Stack>
    </Paper>
  );
}

function GrantForm({ fileId, fieldNames, onDone }: { fileId: string; fieldNames: string[]; onDone: () => void }) {
  const departments = useDepartmentOptions();
  const [grantee, setGrantee] = useState<string | null>(null);
  const [actions, setActions] = useState<string[]>(['READ']);
  const [fields, setFields] = useState<string[]>([]);
  const [purpose, setPurpose] = useState('');
  const [expires, setExpires] = useState('');
  const [result, grant] = useMutation(GrantPermissionMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await grant({
      input: {
        fileId,
        granteeDepartmentCode: grantee ?? '',
        actions: actions as Action[],
        fields: fields.length ? fields : null,
        purpose,
        expiresAt: endOfDay(expires),
      },
    });
    if (!done.error) {
      setPurpose('');
      onDone();
    }
  };
  const message = result.error ? (result.error.graphQLErrors[0]?.message ?? result.error.message) : null;
  return (
    <form onSubmit={(e) => void submit(e)}>
      <Stack gap="sm">
        <Select
          label="Grant to department"
          searchable
          data={departments}
          value={grantee}
          onChange={setGrantee}
          limit={50}
          placeholder="Search departments"
        />
        <Checkbox.Group label="Actions" value={actions} onChange={setActions}>
          <Group mt={6}>
            {ACTIONS.map((a) => (
              <Checkbox key={a} value={a} label={a.toLowerCase()} />
            ))}
          </Group>
        </Checkbox.Group>
        <MultiSelect
          label="Fields"
          description="Leave empty for all fields"
          data={fieldNames}
          value={fields}
          onChange={setFields}
          clearable
          searchable
        />
        <TextInput label="Purpose" value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)} />
        <TextInput type="date" label="Expires (optional)" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} />
        <ErrorNote text={message} />
        <Group>
          <Button type="submit" loading={result.fetching}>
            Grant
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ScopeGrantForm() {
  const departments = useDepartmentOptions();
  const [{ data: reference }] = useQuery({ query: DirectoryReferenceQuery });
  const [district, setDistrict] = useState<string | null>(null);
  const [category, setCategory] = useState('');
  const [max, setMax] = useState<string | null>('INTERNAL');
  const [grantee, setGrantee] = useState<string | null>(null);
  const [actions, setActions] = useState<string[]>(['READ']);
  const [purpose, setPurpose] = useState('');
  const [expires, setExpires] = useState('');
  const [result, grant] = useMutation(GrantScopePermissionMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await grant({
      input: {
        districtCode: district ?? '',
        category,
        maxClassification: (max ?? 'PUBLIC') as Classification,
        granteeDepartmentCode: grantee ?? '',
        actions: actions as Action[],
        purpose,
        expiresAt: endOfDay(expires),
      },
    });
  };
  const message = result.error ? (result.error.graphQLErrors[0]?.message ?? result.error.message) : null;
  return (
    <form onSubmit={(e) => void submit(e)}>
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select
            label="District"
            data={(reference?.districts ?? []).map((d) => ({ value: d.code, label: d.name }))}
            value={district}
            onChange={setDistrict}
            searchable
          />
          <TextInput label="Category" value={category} onChange={(e) => setCategory(e.currentTarget.value)} />
          <Select
            label="Up to classification"
            data={CLASSIFICATIONS.map((c) => ({ value: c, label: c.toLowerCase() }))}
            value={max}
            onChange={setMax}
          />
        </SimpleGrid>
        <Select label="Grant to department" searchable data={departments} value={grantee} onChange={setGrantee} limit={50} />
        <Checkbox.Group label="Actions" value={actions} onChange={setActions}>
          <Group mt={6}>
            {ACTIONS.map((a) => (
              <Checkbox key={a} value={a} label={a.toLowerCase()} />
            ))}
          </Group>
        </Checkbox.Group>
        <TextInput label="Purpose" value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)} />
        <TextInput type="date" label="Expires (optional)" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} />
        <ErrorNote text={message} />
        {result.data && <Text c="teal">Scope grant made.</Text>}
        <Group>
          <Button type="submit" loading={result.fetching}>
            Grant on the scope
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function PermissionsPage() {
  const identity = useIdentity();
  const [params, setParams] = useSearchParams();
  const fileId = params.get('file');
  const [{ data }] = useQuery({ query: FileQuery, variables: { id: fileId ?? '' }, pause: !fileId });
  const [version, setVersion] = useState(0);
  const file = data?.file;
  const admin = hasRole(identity, 'DISTRICT_ADMIN', 'PLATFORM_ADMIN');

  return (
    <Stack>
      <Title order={2}>Permissions</Title>
      <Tabs defaultValue="file">
        <Tabs.List>
          <Tabs.Tab value="file">On a file</Tabs.Tab>
          {admin && <Tabs.Tab value="scope">On a scope (district and category)</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="file" pt="md">
          <Stack>
            <FilePicker fileId={fileId} onPick={(id) => setParams({ file: id })} />
            {file && (
              <>
                <Group gap="sm">
                  <Anchor component={Link} to={`/files/${file.id}`} fw={600}>
                    {file.title}
                  </Anchor>
                  <ClassificationBadge value={file.classification} />
                  <Text size="sm" c="dimmed">
                    {file.owner.name} · {file.district.name}
                  </Text>
                </Group>
                <HoldersTable key={`${file.id}-${version}`} fileId={file.id} canRevoke />
                <Paper withBorder p="md" component="section" aria-labelledby="grant-title">
                  <Title order={3} size="h4" id="grant-title" mb="sm">
                    Grant
                  </Title>
                  <GrantForm fileId={file.id} fieldNames={file.fields.map((f) => f.name)} onDone={() => setVersion(version + 1)} />
                </Paper>
              </>
            )}
            {fileId && data && !file && <Text c="dimmed">No such file, or you may not discover it.</Text>}
          </Stack>
        </Tabs.Panel>
        {admin && (
          <Tabs.Panel value="scope" pt="md">
            <Paper withBorder p="md">
              <ScopeGrantForm />
            </Paper>
          </Tabs.Panel>
        )}
      </Tabs>
    </Stack>
  );
}
