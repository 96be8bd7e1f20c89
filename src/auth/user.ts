/**
 * The authenticated identity of a request, as k8s.io/apiserver's user.Info, and the well-known
 * users and groups the authentication and authorization chains treat specially.
 */

/** Who is asking. */
export interface UserInfo {
  /** User name (`alice`, `system:serviceaccount:ns:sa`, `system:anonymous`). */
  name: string;
  /** Unique id, '' when unknown. */
  uid: string;
  /** Groups, including `system:authenticated` for authenticated users. */
  groups: string[];
  /** Extra attributes (scopes, …); keys are lower-case. */
  extra: Record<string, string[]>;
}

/** Group of every authenticated user. */
export const ALL_AUTHENTICATED = 'system:authenticated';
/** Group of the anonymous user. */
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
/** User name of unauthenticated requests when anonymous access is enabled. */
export const ANONYMOUS_USER = 'system:anonymous';
/** Group that bypasses authorization and the in-flight limit. */
export const SYSTEM_MASTERS = 'system:masters';

/** The anonymous user. */
export function anonymousUser(): UserInfo {
  return { name: ANONYMOUS_USER, uid: '', groups: [ALL_UNAUTHENTICATED], extra: {} };
}

/** Adds `system:authenticated` unless the user already has it or `system:unauthenticated` (AuthenticatedGroupAdder). */
export function withAuthenticatedGroup(u: UserInfo): UserInfo {
  if (u.groups.includes(ALL_AUTHENTICATED) || u.groups.includes(ALL_UNAUTHENTICATED)) return u;
  return { ...u, groups: [...u.groups, ALL_AUTHENTICATED] };
}
