/**
 * Who acts and who asks. A person is known by their tenant and Entra object id (both GUIDs,
 * compared ignoring case); a request may also come from a system source, such as an alert rule
 * or a schedule, that no person typed.
 */

/** A person acting in Teams: their tenant and Entra object id identify them. */
export interface PersonRef {
  tenantId: string;
  aadObjectId: string;
  name: string;
  userPrincipalName?: string;
}

/** A requester that is not a person (an alert rule, a schedule): nobody is excluded from approving what it asks. */
export interface SystemRequester {
  readonly kind: 'system';
  readonly tenantId: string;
  /** A stable name for the source, e.g. the alert rule's id. */
  readonly source: string;
  /** How cards name it. */
  readonly name: string;
}

/** Who asked for something: a person, or a system source. */
export type Requester = PersonRef | SystemRequester;

/** Whether the requester is a system source rather than a person. */
export function isSystemRequester(requester: Requester): requester is SystemRequester {
  // Read off the value itself: a stored requester of a kind this version does not know is no system.
  return (requester as { readonly kind?: unknown }).kind === 'system';
}

/** Tenant and object ids are GUIDs: equal ignoring case, and never equal when empty. */
export function sameId(a: string, b: string): boolean {
  return typeof a === 'string' && typeof b === 'string' && a !== '' && a.toLowerCase() === b.toLowerCase();
}

/** Whether `person` is the person who asked (never true for a system requester). */
export function isRequester(requester: Requester, person: PersonRef): boolean {
  return !isSystemRequester(requester) && sameId(requester.aadObjectId, person.aadObjectId);
}
