/**
 * `signin/tokenExchange`: Teams hands over the SSO token for the OAuthCard the bot sent. The
 * token is checked against the person the channel vouched for, and the command they parked runs.
 * Teams sends the same exchange from every client the person has open: it acts once.
 */
import type { InvokeResponse } from 'botbuilder';
import { NAMESPACE } from '../../app/ports/namespaces';
import type { InvokeTurn } from '../turn';

/**
 * The `id` of a signin/tokenExchange: Teams echoes our OAuthCard's tokenExchangeResource.id (a
 * UUID we chose), but the client sends it and it becomes part of a store key, so it is bounded and
 * plain: at most 128 letters, digits, `-`, `_` or `:` (no dot or space, so no token fits in it).
 */
const TOKEN_EXCHANGE_ID = /^[A-Za-z0-9_:-]{1,128}$/;
/** How long an exchange is remembered as acted on. */
const REMEMBERED_FOR_IN_MS = 10 * 60_000;

/** Answers the exchange in its protocol's shape (400 malformed, 412 unusable, 200 done) and resumes the parked command once. */
export async function tokenExchange(turn: InvokeTurn): Promise<InvokeResponse> {
  const { context, person, bot } = turn;
  const value = (context.activity.value ?? {}) as { id?: unknown; connectionName?: unknown; token?: unknown };
  const id = typeof value.id === 'string' ? value.id : '';
  const connectionName = typeof value.connectionName === 'string' ? value.connectionName : '';
  // A malformed exchange (OAuthPrompt's 400), answered before any token check or store write, and never echoed.
  if (!TOKEN_EXCHANGE_ID.test(id)) return { status: 400, body: { failureDetail: 'The sign-in request was malformed.' } };
  const failed = (detail: string): InvokeResponse => ({ status: 412, body: { id, connectionName, failureDetail: detail } });
  if (!person || typeof value.token !== 'string') return failed('The sign-in could not be used.');
  const session = await bot.signIn.fromToken(person, value.token);
  if (!session.ok) return failed('The sign-in could not be used. Proceed with regular sign-in.');
  const now = bot.clock.now();
  const first = await bot.store.create(
    NAMESPACE.tokenExchanges,
    `${context.activity.conversation.id}|${id}`,
    { at: now.toISOString() },
    { expiresAt: new Date(now.getTime() + REMEMBERED_FOR_IN_MS) },
  );
  if (first.ok) await turn.resume(person, session.session);
  return { status: 200, body: { id, connectionName } };
}
