import { Center, Loader } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Provider as UrqlProvider } from 'urql';
import { createApiClient, errorText } from '../api/client';
import { MeQuery } from '../api/operations';
import { SessionContext, storedToken, storeToken, type Session, type SessionControl } from './session';

/** Who a token speaks for, asked of the service itself: a token it rejects signs no one in. */
async function identify(token: string): Promise<Session | string> {
  const result = await createApiClient(token).query(MeQuery, {}, { requestPolicy: 'network-only' }).toPromise();
  if (result.data?.me) return { token, identity: result.data.me };
  return errorText(result.error) ?? 'the service did not accept this token';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedToken() !== null);

  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    void identify(token).then((found) => {
      if (typeof found === 'string') storeToken(null);
      else setSession(found);
      setRestoring(false);
    });
  }, []);

  const signIn = useCallback(async (token: string) => {
    const found = await identify(token.trim());
    if (typeof found === 'string') return found;
    storeToken(found.token);
    setSession(found);
    return null;
  }, []);

  const signOut = useCallback(() => {
    storeToken(null);
    setSession(null);
  }, []);

  const client = useMemo(() => createApiClient(session?.token ?? null), [session?.token]);
  const control = useMemo<SessionControl>(() => ({ session, signIn, signOut }), [session, signIn, signOut]);

  if (restoring) {
    return (
      <Center h="100vh">
        <Loader aria-label="Restoring your session" />
      </Center>
    );
  }
  return (
    <SessionContext.Provider value={control}>
      <UrqlProvider value={client}>{children}</UrqlProvider>
    </SessionContext.Provider>
  );
}
