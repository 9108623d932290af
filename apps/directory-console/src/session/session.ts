import { createContext, useContext } from 'react';

/** The signed-in identity as the service reports it (`me`), with the token that proves it. */
export interface Identity {
  subject: string;
  roles: string[];
  department: { code: string; name: string; district: { code: string; name: string } };
}

export interface Session {
  token: string;
  identity: Identity;
}

const STORAGE_KEY = 'directory-console.token';

/** The token lives in sessionStorage: closing the tab signs out, and no other site can read it. */
export const storedToken = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const storeToken = (token: string | null): void => {
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
};

export interface SessionControl {
  session: Session | null;
  signIn: (token: string) => Promise<string | null>;
  signOut: () => void;
}

export const SessionContext = createContext<SessionControl | null>(null);

export function useSession(): SessionControl {
  const control = useContext(SessionContext);
  if (!control) throw new Error('useSession outside SessionContext');
  return control;
}

/** The signed-in session; pages behind the sign-in gate may rely on it. */
export function useIdentity(): Identity {
  const { session } = useSession();
  if (!session) throw new Error('no session');
  return session.identity;
}

export const hasRole = (identity: Identity, ...roles: string[]): boolean => roles.some((r) => identity.roles.includes(r));

/**
 * The identity-provider hook: a provider (or the gateway in front of the service)
 * that redirects to /console/#access_token=<jwt> signs the person in. The token
 * travels in the fragment, which browsers never send to a server, and is removed
 * from the address at once.
 */
export function adoptProviderToken(): void {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('access_token');
  if (!token) return;
  storeToken(token);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}
