/**
 * Who is acting in a turn, taken from the activity the channel signed — never from card
 * data. The tenant comes from the conversation (or Teams' channelData), the person from
 * from.aadObjectId.
 */
import type { Activity } from 'botbuilder';
import { isObjectId } from '../domain/targetReference';

export interface TurnPerson {
  readonly tenantId: string;
  readonly aadObjectId: string;
  /** Teams user id (29:…), for sign-in and refresh lists. */
  readonly teamsId: string;
  readonly name: string;
}

/** The acting person, or undefined when the activity does not say who (refuse then). */
export function personOf(activity: Partial<Activity>): TurnPerson | undefined {
  const channelData = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const tenant = activity.conversation?.tenantId ?? (typeof channelData?.tenant?.id === 'string' ? channelData.tenant.id : undefined);
  const oid = activity.from?.aadObjectId;
  if (typeof tenant !== 'string' || !isObjectId(tenant) || typeof oid !== 'string' || !isObjectId(oid)) return undefined;
  return {
    tenantId: tenant.toLowerCase(),
    aadObjectId: oid.toLowerCase(),
    teamsId: typeof activity.from?.id === 'string' ? activity.from.id : '',
    name: typeof activity.from?.name === 'string' && activity.from.name.trim() ? activity.from.name.trim().slice(0, 128) : 'Someone',
  };
}
