import { Alert, Anchor, Badge, Button, Checkbox, Grid, Group, List, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { ExplainAccessQuery, FileQuery, RequestExchangeMutation } from '../api/operations';
import { AccessBadges, ClassificationBadge, ErrorNote, formatDate, Loading } from '../components/common';
import { hasRole, useIdentity } from '../session/session';

const ACTION_SENTENCES: Record<string, string> = {
  DISCOVER: 'can find this file in the directory',
  READ: 'can read its field schema',
  EXCHANGE: 'can obtain its records',
};

function RequestForm({ fileId, fieldNames }: { fileId: string; fieldNames: string[] }) {
  const [fields, setFields] = useState<string[]>([]);
  const [purpose, setPurpose] = useState('');
  const [result, request] = useMutation(RequestExchangeMutation);
  const navigate = useNavigate();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await request({ input: { fileId, fields, purpose } });
    if (done.data) void navigate(`/exchanges/${done.data.requestExchange.id}`);
  };
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="request-title">
      <form onSubmit={(e) => void submit(e)}>
        <Stack gap="sm">
          <Title order={3} size="h4" id="request-title">
            Request records
          </Title>
          <Checkbox.Group label="Fields to request" value={fields} onChange={setFields}>
            <Group gap="md" mt={6}>
              {fieldNames.map((name) => (
                <Checkbox key={name} value={name} label={name} />
              ))}
            </Group>
          </Checkbox.Group>
          <Textarea
            label="Purpose"
            description="Why your department needs these fields; the owner's steward reads it"
            value={purpose}
            onChange={(e) => setPurpose(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          <ErrorNote error={result.error} />
          <Group>
            <Button type="submit" loading={result.fetching}>
              Send request
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

export function FilePage() {
  const { id = '' } = useParams();
  const identity = useIdentity();
  const [{ data, error, fetching }] = useQuery({ query: FileQuery, variables: { id } });
  const [explained] = useQuery({
    query: ExplainAccessQuery,
    variables: { fileId: id, departmentCode: identity.department.code },
    pause: !data?.file,
  });

  if (fetching && !data) return <Loading label="Loading the file" />;
  if (error) return <ErrorNote error={error} />;
  const file = data?.file;
  if (!file) return <Alert color="gray">No such file, or your department may not discover it.</Alert>;

  const owner = file.owner.code === identity.department.code;
  const explanation = explained.data?.explainAccess;
  const canManage =
    hasRole(identity, 'PLATFORM_ADMIN') ||
    (hasRole(identity, 'DISTRICT_ADMIN') && identity.department.district.code === file.district.code) ||
    (owner && hasRole(identity, 'STEWARD'));

  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Anchor component={Link} to="/directory" size="sm">
            ← Directory
          </Anchor>
          <Title order={2}>{file.title}</Title>
          <Text c="dimmed" size="sm">
            {file.code} · {file.owner.name} · {file.district.name}
          </Text>
        </Stack>
        <Group>
          <ClassificationBadge value={file.classification} />
          <Badge variant="default">version {file.version}</Badge>
          {canManage && (
            <Button component={Link} to={`/permissions?file=${file.id}`} variant="light" size="xs">
              Who holds what
            </Button>
          )}
        </Group>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack>
            <Paper withBorder p="md">
              <Stack gap="xs">
                <Text>{file.description ?? <em>No description.</em>}</Text>
                <Text size="sm" c="dimmed">
                  Category {file.category} · format {file.format} · {file.updateFrequency ?? 'irregular updates'} · updated{' '}
                  {formatDate(file.updatedAt)}
                </Text>
                {file.tags.length > 0 && (
                  <Group gap={4}>
                    {file.tags.map((t) => (
                      <Badge key={t} variant="dot" size="sm">
                        {t}
                      </Badge>
                    ))}
                  </Group>
                )}
              </Stack>
            </Paper>
            <Paper withBorder p="md" component="section" aria-labelledby="fields-title">
              <Title order={3} size="h4" id="fields-title" mb="xs">
                Fields
              </Title>
              {file.fields.length === 0 ? (
                <Text c="dimmed">Your department may not read this file's schema.</Text>
              ) : (
                <Table.ScrollContainer minWidth={420}>
                  <Table striped aria-label="Fields">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Name</Table.Th>
                        <Table.Th>Type</Table.Th>
                        <Table.Th>Sensitive</Table.Th>
                        <Table.Th>You may obtain it</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {file.fields.map((f) => (
                        <Table.Tr key={f.name}>
                          <Table.Td>
                            <Text size="sm" ff="monospace">
                              {f.name}
                            </Text>
                            {f.description && (
                              <Text size="xs" c="dimmed">
                                {f.description}
                              </Text>
                            )}
                          </Table.Td>
                          <Table.Td>{f.type}</Table.Td>
                          <Table.Td>
                            {f.sensitive ? (
                              <Badge color="red" variant="light" size="sm">
                                sensitive
                              </Badge>
                            ) : (
                              'no'
                            )}
                          </Table.Td>
                          <Table.Td>{f.obtainable ? 'yes' : 'no, request it'}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </Paper>
            {!owner && file.fields.length > 0 && <RequestForm fileId={file.id} fieldNames={file.fields.map((f) => f.name)} />}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Paper withBorder p="md" component="section" aria-labelledby="access-title">
            <Stack gap="xs">
              <Title order={3} size="h4" id="access-title">
                Why can I see this?
              </Title>
              <AccessBadges actions={file.myAccess} />
              <ErrorNote error={explained.error} />
              {explanation && (
                <>
                  <Text size="sm">
                    {identity.department.name}{' '}
                    {explanation.allowed.length ? explanation.allowed.map((a) => ACTION_SENTENCES[a] ?? a).join(', ') : 'has no access'}.
                  </Text>
                  <List size="sm" spacing={4} aria-label="Reasons">
                    {explanation.reasons.map((r) => (
                      <List.Item key={r}>{r}</List.Item>
                    ))}
                  </List>
                  {explanation.permissions.length > 0 && (
                    <Text size="xs" c="dimmed">
                      Grants:{' '}
                      {explanation.permissions
                        .map(
                          (p) =>
                            `${p.actions.join('+')} for “${p.purpose}”${p.fields ? ` on ${p.fields.join(', ')}` : ''}${p.expiresAt ? `, until ${formatDate(p.expiresAt)}` : ''}`,
                        )
                        .join('; ')}
                    </Text>
                  )}
                </>
              )}
            </Stack>
          </Paper>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
