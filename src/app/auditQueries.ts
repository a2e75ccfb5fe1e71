/**
 * The `audit` use case: who may read the audit trail, and reading it. Readers are members of the
 * security channel (the bot edge tells) or of a configured Entra admin group (checked here with
 * the reader's own delegated token); nobody else, and nobody at all when neither is configured.
 * Every use leaves its own record: `audit.viewed`, `audit.exported`, or `audit.refused`. A view or
 * export is recorded before it is shown; if that record cannot be written, nothing is shown.
 * Records are always scoped to the reader's own tenant. A view names whom it was about in its
 * detail, not as its target: `target` means the person whose sessions an action touched.
 */
import { auditActor, type Acting } from './acting';
import type { AuditTrail } from './auditTrail';
import { auditCsv, auditJsonl } from './auditExport';
import type { AuditFilter, AuditLog, AuditRecord } from './ports/auditLog';
import type { DirectoryFailure } from './ports/directory';
import type { ResolvedTarget } from './revocation/revocationService';
import type { AuditExportFormat } from '../domain/auditCommand';

/** How many of the newest records are searched by UPN when the directory no longer knows the person. */
const UPN_SCAN_LIMIT = 5000;

export type AuditAccessBasis = 'security_channel' | 'admin_group';

/** The request, with any @mention already resolved to an object id by the bot edge. */
export interface AuditRequest {
  readonly mode: 'list' | 'export';
  readonly format?: AuditExportFormat;
  readonly limit: number;
  readonly subject?: { readonly role: 'target' | 'actor'; readonly who: ResolvedTarget };
}

/** Whose records were asked for, as resolved. */
export interface AuditSubject {
  readonly role: 'target' | 'actor';
  readonly id?: string;
  readonly userPrincipalName?: string;
  readonly displayName?: string;
}

export type AuditOutcome =
  | { readonly kind: 'refused'; readonly reason: 'not_configured' | 'not_member' }
  | { readonly kind: 'failed'; readonly failure: DirectoryFailure }
  | { readonly kind: 'unknown_subject'; readonly query: string }
  | { readonly kind: 'ambiguous_subject'; readonly query: string }
  | { readonly kind: 'storage_unavailable' }
  | {
      readonly kind: 'listed';
      readonly records: readonly AuditRecord[];
      readonly more: boolean;
      readonly subject?: AuditSubject;
      readonly basis: AuditAccessBasis;
    }
  | {
      readonly kind: 'exported';
      readonly format: AuditExportFormat;
      /** The file's content, oldest record first. */
      readonly content: string;
      readonly count: number;
      /** There are older matching records than the export holds. */
      readonly more: boolean;
      readonly subject?: AuditSubject;
    };

export interface AuditQueryServiceOptions {
  /** The log to read. */
  readonly log: AuditLog;
  /** Where audit actions themselves are recorded. */
  readonly audit: AuditTrail;
  /** Members of this Entra group (transitively) may read. */
  readonly adminGroupId?: string;
  /** Whether a security channel is configured (its members may read). */
  readonly securityChannelConfigured: boolean;
}

export class AuditQueryService {
  constructor(private readonly options: AuditQueryServiceOptions) {}

  /** Whether anyone at all may read the audit trail from Teams. */
  get enabled(): boolean {
    return this.options.adminGroupId !== undefined || this.options.securityChannelConfigured;
  }

  /**
   * Checks access, reads and records the reading.
   * @param context.inSecurityChannel the bot edge found the person in the security channel (they wrote there, or its roster lists them)
   */
  async run(acting: Acting, request: AuditRequest, context: { inSecurityChannel: boolean; deadline?: number }): Promise<AuditOutcome> {
    const access = await this.access(acting, context);
    if (access.kind !== 'granted') {
      await this.options.audit.after({
        tenantId: acting.person.tenantId,
        action: 'audit.refused',
        outcome: access.kind === 'failed' ? 'failed' : 'refused',
        actor: auditActor(acting.person),
        code: access.kind === 'failed' ? `membership_check_${access.failure.code}` : access.reason,
        graphRequestId: access.kind === 'failed' ? access.failure.graphRequestId : undefined,
      });
      return access.kind === 'failed' ? { kind: 'failed', failure: access.failure } : { kind: 'refused', reason: access.reason };
    }

    let subject: AuditSubject | undefined;
    if (request.subject) {
      const resolved = await this.resolve(acting, request.subject.role, request.subject.who, context.deadline);
      if (resolved.kind !== 'resolved') return resolved;
      subject = resolved.subject;
    }
    const limit = Math.max(1, request.limit);
    const found = await this.find(acting.person.tenantId, subject, limit + 1);
    const records = found.slice(0, limit);
    const more = found.length > limit;
    try {
      await this.options.audit.before({
        tenantId: acting.person.tenantId,
        action: request.mode === 'export' ? 'audit.exported' : 'audit.viewed',
        outcome: 'info',
        actor: auditActor(acting.person),
        code: access.basis,
        detail: describe(request, records.length, subject),
      });
    } catch {
      return { kind: 'storage_unavailable' };
    }
    if (request.mode === 'list') return { kind: 'listed', records, more, subject, basis: access.basis };
    const oldestFirst = [...records].reverse();
    const format = request.format ?? 'csv';
    return {
      kind: 'exported',
      format,
      content: format === 'csv' ? auditCsv(oldestFirst) : auditJsonl(oldestFirst),
      count: records.length,
      more,
      subject,
    };
  }

  private async access(
    acting: Acting,
    context: { inSecurityChannel: boolean; deadline?: number },
  ): Promise<
    | { kind: 'granted'; basis: AuditAccessBasis }
    | { kind: 'denied'; reason: 'not_configured' | 'not_member' }
    | { kind: 'failed'; failure: DirectoryFailure }
  > {
    if (context.inSecurityChannel && this.options.securityChannelConfigured) return { kind: 'granted', basis: 'security_channel' };
    if (this.options.adminGroupId) {
      const member = await acting.directory.isMemberOfGroup(this.options.adminGroupId, { deadline: context.deadline });
      if (!member.ok) return { kind: 'failed', failure: member.error };
      if (member.value) return { kind: 'granted', basis: 'admin_group' };
      return { kind: 'denied', reason: 'not_member' };
    }
    return { kind: 'denied', reason: this.enabled ? 'not_member' : 'not_configured' };
  }

  private async resolve(
    acting: Acting,
    role: AuditSubject['role'],
    who: ResolvedTarget,
    deadline: number | undefined,
  ): Promise<
    { kind: 'resolved'; subject: AuditSubject } | Extract<AuditOutcome, { kind: 'failed' | 'unknown_subject' | 'ambiguous_subject' }>
  > {
    switch (who.kind) {
      case 'self':
        return {
          kind: 'resolved',
          subject: {
            role,
            id: acting.person.aadObjectId,
            userPrincipalName: acting.person.userPrincipalName,
            displayName: acting.person.name,
          },
        };
      case 'objectId':
      case 'userPrincipalName': {
        const user = await acting.directory.getUser(who, { deadline });
        if (user.ok)
          return {
            kind: 'resolved',
            subject: { role, id: user.value.id, userPrincipalName: user.value.userPrincipalName, displayName: user.value.displayName },
          };
        if (user.error.code !== 'not_found') return { kind: 'failed', failure: user.error };
        // Deleted or renamed since: the records still hold the id (or the UPN they had then).
        return { kind: 'resolved', subject: who.kind === 'objectId' ? { role, id: who.id } : { role, userPrincipalName: who.upn } };
      }
      case 'displayName': {
        const found = await acting.directory.findByDisplayName(who.text, 2, { deadline });
        if (!found.ok) return { kind: 'failed', failure: found.error };
        const [only, another] = found.value;
        if (!only) return { kind: 'unknown_subject', query: who.text };
        if (another) return { kind: 'ambiguous_subject', query: who.text };
        return {
          kind: 'resolved',
          subject: { role, id: only.id, userPrincipalName: only.userPrincipalName, displayName: only.displayName },
        };
      }
    }
  }

  /** The newest `count` records of the tenant about (or by) the subject. */
  private async find(tenantId: string, subject: AuditSubject | undefined, count: number): Promise<AuditRecord[]> {
    if (!subject || subject.id) {
      const filter: AuditFilter = {
        tenantId,
        limit: count,
        ...(subject?.role === 'target' ? { targetId: subject.id } : subject?.role === 'actor' ? { actorId: subject.id } : {}),
      };
      return this.options.log.list(filter);
    }
    // Only a UPN the directory no longer knows: match it in the newest records.
    const upn = (subject.userPrincipalName ?? '').toLowerCase();
    const matched: AuditRecord[] = [];
    let before: number | undefined;
    for (let scanned = 0; scanned < UPN_SCAN_LIMIT && matched.length < count;) {
      const page = await this.options.log.list({ tenantId, limit: 1000, before });
      if (page.length === 0) break;
      scanned += page.length;
      before = page[page.length - 1]?.seq;
      for (const record of page) {
        const person = subject.role === 'target' ? record.target?.userPrincipalName : record.actor?.userPrincipalName;
        if (person?.toLowerCase() === upn && matched.length < count) matched.push(record);
      }
    }
    return matched;
  }
}

function describe(request: AuditRequest, count: number, subject: AuditSubject | undefined): string {
  const what =
    request.mode === 'export'
      ? `exported ${count} record${count === 1 ? '' : 's'} as ${request.format === 'jsonl' ? 'JSON Lines' : 'CSV'}`
      : `viewed ${count} record${count === 1 ? '' : 's'}`;
  if (!subject) return what;
  const who = subject.userPrincipalName ?? subject.id ?? 'unknown';
  return `${what} ${subject.role === 'target' ? 'about' : 'by'} ${who}`;
}
