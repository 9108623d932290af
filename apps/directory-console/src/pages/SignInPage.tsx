import { Alert, Button, Center, Checkbox, Group, Paper, Select, Stack, Tabs, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../session/session';

interface DevDepartment {
  code: string;
  name: string;
  districtCode: string;
  districtName: string;
}

const ROLES = [
  { value: 'MEMBER', label: 'Member: searches and requests data' },
  { value: 'STEWARD', label: "Steward: answers requests for the department's files" },
  { value: 'DISTRICT_ADMIN', label: 'District administrator' },
  { value: 'PLATFORM_ADMIN', label: 'Platform administrator' },
  { value: 'AUDITOR', label: 'Auditor' },
];

/** The development sign-in exists only where the service made its own secrets (embedded mode). */
function useDevDepartments(): DevDepartment[] | null {
  const [departments, setDepartments] = useState<DevDepartment[] | null>(null);
  useEffect(() => {
    fetch('/console/dev/identities')
      .then((r) => (r.ok ? (r.json() as Promise<{ departments: DevDepartment[] }>) : null))
      .then((body) => setDepartments(body?.departments ?? null))
      .catch(() => setDepartments(null));
  }, []);
  return departments;
}

function DevSignIn({ departments }: { departments: DevDepartment[] }) {
  const { signIn } = useSession();
  const [department, setDepartment] = useState<string | null>(null);
  const [roles, setRoles] = useState<string[]>(['MEMBER']);
  const [subject, setSubject] = useState('dev-user');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!department) return setError('Pick a department.');
    if (roles.length === 0) return setError('Pick at least one role.');
    setBusy(true);
    try {
      const response = await fetch('/console/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ departmentCode: department, roles, subject }),
      });
      const body = (await response.json()) as { token?: string; error?: string };
      if (!body.token) return setError(body.error ?? 'The service did not mint a token.');
      const failed = await signIn(body.token);
      if (failed) setError(failed);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)}>
      <Stack>
        <Select
          label="Department"
          placeholder="Search by name, district or code"
          searchable
          data={departments.map((d) => ({ value: d.code, label: `${d.name} — ${d.districtName}` }))}
          value={department}
          onChange={setDepartment}
          nothingFoundMessage="No such department"
          limit={50}
        />
        <Checkbox.Group label="Roles" value={roles} onChange={setRoles}>
          <Stack gap={6} mt={6}>
            {ROLES.map((r) => (
              <Checkbox key={r.value} value={r.value} label={r.label} />
            ))}
          </Stack>
        </Checkbox.Group>
        <TextInput label="Your name (the token's subject)" value={subject} onChange={(e) => setSubject(e.currentTarget.value)} />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button type="submit" loading={busy}>
          Sign in for development
        </Button>
      </Stack>
    </form>
  );
}

function TokenSignIn() {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(await signIn(token));
    setBusy(false);
  };
  return (
    <form onSubmit={(e) => void submit(e)}>
      <Stack>
        <Textarea
          label="Bearer token"
          description="A JWT from your identity provider, or from npm run cli -- token"
          autosize
          minRows={4}
          value={token}
          onChange={(e) => setToken(e.currentTarget.value)}
          error={error}
        />
        <Button type="submit" loading={busy} disabled={!token.trim()}>
          Sign in with this token
        </Button>
      </Stack>
    </form>
  );
}

export function SignInPage() {
  const departments = useDevDepartments();
  // The tab a person picked stays picked when the development identities arrive after it.
  const [picked, setPicked] = useState<string | null>(null);
  return (
    <Center mih="100vh" p="md" bg="var(--mantine-color-gray-0)">
      <Paper withBorder shadow="sm" p="xl" w={520} maw="100%">
        <Stack>
          <div>
            <Title order={1} size="h2">
              District data directory
            </Title>
            <Text c="dimmed">Find data across the city's departments, request it, and see who may hold what.</Text>
          </div>
          <Tabs value={picked ?? (departments ? 'dev' : 'token')} onChange={setPicked}>
            <Tabs.List>
              {departments && <Tabs.Tab value="dev">Development sign-in</Tabs.Tab>}
              <Tabs.Tab value="token">Paste a token</Tabs.Tab>
            </Tabs.List>
            {departments && (
              <Tabs.Panel value="dev" pt="md">
                <DevSignIn departments={departments} />
              </Tabs.Panel>
            )}
            <Tabs.Panel value="token" pt="md">
              <TokenSignIn />
            </Tabs.Panel>
          </Tabs>
          <Group>
            <Text size="xs" c="dimmed">
              {departments
                ? 'Development mode: this service made its own signing secret, so it mints tokens for any department.'
                : 'Your identity provider issues the token; this console keeps it only in this tab.'}
            </Text>
          </Group>
        </Stack>
      </Paper>
    </Center>
  );
}
