import { AppShell, Badge, Burger, Button, Group, NavLink, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { AuditPage } from './pages/AuditPage';
import { DirectoryPage } from './pages/DirectoryPage';
import { ExchangePage } from './pages/ExchangePage';
import { ExchangesPage } from './pages/ExchangesPage';
import { FilePage } from './pages/FilePage';
import { PermissionsPage } from './pages/PermissionsPage';
import { SignInPage } from './pages/SignInPage';
import { NO_ELLIPSIS } from './components/common';
import { hasRole, useSession, type Identity } from './session/session';

const canManagePermissions = (identity: Identity) => hasRole(identity, 'STEWARD', 'DISTRICT_ADMIN', 'PLATFORM_ADMIN');
const canAudit = (identity: Identity) => hasRole(identity, 'AUDITOR', 'PLATFORM_ADMIN');

function IdentityBadge({ identity }: { identity: Identity }) {
  return (
    <Group gap={6} wrap="nowrap" data-testid="identity" aria-label="Signed in as" style={{ minWidth: 0 }}>
      <Stack gap={0} align="flex-end" style={{ minWidth: 0 }}>
        <Text size="sm" fw={600} lh={1.2} lineClamp={1}>
          <Text span inherit visibleFrom="sm">
            {identity.subject} ·{' '}
          </Text>
          {identity.department.name}
        </Text>
        <Text size="xs" c="dimmed" lh={1.2} lineClamp={1}>
          {identity.department.district.name} ({identity.department.code})
        </Text>
      </Stack>
      {identity.roles.map((role) => (
        <Badge key={role} variant="light" size="sm" styles={NO_ELLIPSIS}>
          {role.replace('_', ' ').toLowerCase()}
        </Badge>
      ))}
    </Group>
  );
}

export function App() {
  const { session, signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();

  if (!session) return <SignInPage />;
  const { identity } = session;
  const links = [
    { to: '/directory', label: 'Directory', show: true },
    { to: '/exchanges', label: 'Exchanges', show: true },
    { to: '/permissions', label: 'Permissions', show: canManagePermissions(identity) },
    { to: '/audit', label: 'Audit', show: canAudit(identity) },
  ];

  return (
    <AppShell header={{ height: 64 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="sm" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={1} size="h4" visibleFrom="sm">
              District data directory
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
            <IdentityBadge identity={identity} />
            <Tooltip label="Forget the token in this tab">
              <Button variant="subtle" size="xs" px={6} onClick={signOut} style={{ flexShrink: 0 }}>
                Sign out
              </Button>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        {links
          .filter((l) => l.show)
          .map((l) => (
            <NavLink
              key={l.to}
              label={l.label}
              href={`/console${l.to}`}
              active={location.pathname.startsWith(l.to)}
              onClick={(event) => {
                event.preventDefault();
                void navigate(l.to);
                close();
              }}
            />
          ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<Navigate to="/directory" replace />} />
          <Route path="/directory" element={<DirectoryPage />} />
          <Route path="/files/:id" element={<FilePage />} />
          <Route path="/exchanges" element={<ExchangesPage />} />
          <Route path="/exchanges/:id" element={<ExchangePage />} />
          <Route
            path="/permissions"
            element={canManagePermissions(identity) ? <PermissionsPage /> : <Navigate to="/directory" replace />}
          />
          <Route path="/audit" element={canAudit(identity) ? <AuditPage /> : <Navigate to="/directory" replace />} />
          <Route path="*" element={<Navigate to="/directory" replace />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
