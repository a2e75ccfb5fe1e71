/**
 * What the handlers share, written once: the person as the use cases know them, their delegated
 * access, an @mention turned into an object id, sending a card, and where a clicked card is.
 */
import { TeamsInfo, TurnContext, type BotAdapter, type ConversationReference } from 'botbuilder';
import type { Acting, BulkActing } from '../app/acting';
import { supportsBulk } from '../app/ports/directory';
import type { AdaptiveCard } from '../cards/render';
import type { PersonRef } from '../domain/people';
import { isObjectId } from '../domain/targetReference';
import type { DelegatedSession } from '../identity/delegatedSessions';
import type { Logger } from '../observability/logger';
import { cardActivity } from './cardUpdates';
import type { TurnPerson } from './turnPerson';

/** The person as the use cases and the audit trail know them. */
export function toPersonRef(person: TurnPerson): PersonRef {
  return { tenantId: person.tenantId, aadObjectId: person.aadObjectId, name: person.name };
}

/** The person acting with their own delegated session (its user principal name goes on the audit records). */
export function actingFor(person: TurnPerson, session: DelegatedSession): Acting {
  return {
    person: { ...toPersonRef(person), userPrincipalName: session.user.userPrincipalName },
    directory: session.directory,
    containment: session.containment,
    evidence: session.evidence,
    memo: session.memo,
  };
}

/** The same for bulk runs; undefined when this deployment's directory cannot run them. */
export function bulkActingFor(person: TurnPerson, session: DelegatedSession): BulkActing | undefined {
  const directory = session.directory;
  return supportsBulk(directory)
    ? { person: { ...toPersonRef(person), userPrincipalName: session.user.userPrincipalName }, directory }
    : undefined;
}

/** The Entra object id of a person @mentioned in this conversation, read from its roster; undefined when Teams can't tell. */
export async function memberObjectId(context: TurnContext, teamsId: string, logger: Logger): Promise<string | undefined> {
  try {
    const member = await TeamsInfo.getMember(context, teamsId);
    const oid = (member.aadObjectId ?? (member as { objectId?: string }).objectId ?? '').toLowerCase();
    return isObjectId(oid) ? oid : undefined;
  } catch (error) {
    logger.warn({ err: error }, 'member lookup failed');
    return undefined;
  }
}

/** Sends a card as a new message; returns the message's id. */
export async function sendCard(context: TurnContext, card: AdaptiveCard): Promise<string | undefined> {
  const response = await context.sendActivity(cardActivity(card));
  return response?.id;
}

/** Where a clicked card is, for updates after the invoke was answered. */
export interface ClickedCard {
  readonly adapter: BotAdapter;
  readonly reference: Partial<ConversationReference>;
  /** The card message's id (replyToId), when Teams sent it. */
  readonly activityId?: string;
}

/** The card this turn's click came from. */
export function clickedCard(context: TurnContext): ClickedCard {
  return {
    adapter: context.adapter,
    reference: TurnContext.getConversationReference(context.activity),
    activityId: context.activity.replyToId,
  };
}
