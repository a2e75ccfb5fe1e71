/**
 * Small steps every route handler of the emulated Graph shares: finding the user a path names
 * (/users/{id|upn} or /users('{upn}')), and Graph's answer to a token without an operation's
 * permission (the permission table's refusal, 403 Authorization_RequestDenied by default).
 */
import type { Directory, DirectoryUser } from '../directory';
import { permissionRow, type Operation } from '../permissions';
import { parseStringLiteral } from './odata';
import { badRequest, denied, failure, notFound, type GraphError } from './responses';

export type Found<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: GraphError };

/** /users/{id|upn} or /users('{upn}') → the user, or Graph's 400/404. */
export function resolveUserParam(params: Readonly<Record<string, string | undefined>>, directory: Directory): Found<DirectoryUser> {
  let id: string;
  const key = params.userKey;
  if (key !== undefined) {
    const literal = parseStringLiteral(key);
    if (literal === undefined)
      return { ok: false, error: badRequest(`Invalid key literal (${key}): use ('value') with single quotes doubled.`) };
    id = literal;
  } else {
    id = params.user ?? '';
    // OData reads a path segment starting with $ as a system segment ($count, $ref, ...).
    if (id.startsWith('$')) return { ok: false, error: badRequest(`Invalid object identifier '${id}'.`) };
  }
  const user = directory.findUser(id);
  return user ? { ok: true, value: user } : { ok: false, error: notFound(id) };
}

/** Graph's answer to a token without the operation's permission (403 Authorization_RequestDenied unless its row says otherwise). */
export function refused(operation: Operation): GraphError {
  const refusal = permissionRow(operation).refusal;
  return refusal ? failure(refusal.status, refusal.code, refusal.message) : denied();
}
