/**
 * Gets a delegated session for the person in a turn, in Teams' ways: the SSO token on a
 * re-sent Action.Execute (after our 401 loginRequest), a `signin/tokenExchange` invoke after
 * an OAuthCard, a magic code from the visible sign-in (channels), or the warm session of a
 * person who signed in recently. Every token is checked against the person the channel
 * vouched for before it is used.
 */
import { randomUUID } from 'node:crypto';
import type { Activity, CloudAdapterBase, TokenResponse, TurnContext } from 'botbuilder';
import type { UserTokenClient } from 'botframework-connector';
import type { DelegatedSession, DelegatedSessions } from '../../identity/delegatedSessions';
import type { SsoTokenValidator, TokenProblem } from '../../identity/ssoTokenValidator';
import type { TurnPerson } from '../turnPerson';

export type SessionResult =
  | { readonly ok: true; readonly session: DelegatedSession }
  | { readonly ok: false; readonly reason: 'none' }
  | { readonly ok: false; readonly reason: 'refused'; readonly problem: TokenProblem | 'sign_in_unavailable' | 'bad_code' };

export interface OAuthCardContent {
  readonly text: string;
  readonly connectionName: string;
  readonly tokenExchangeResource: { readonly id: string; readonly uri: string; readonly providerId: string };
  readonly buttons: readonly { readonly type: 'signin'; readonly title: string; readonly value: string }[];
}

export interface SignInGateOptions {
  readonly validator: SsoTokenValidator;
  readonly sessions: DelegatedSessions;
  readonly connectionName: string;
  readonly ssoAppIdUri: string;
  readonly onRefused?: (person: TurnPerson, problem: string) => void;
}

export class SignInGate {
  constructor(private readonly options: SignInGateOptions) {}

  /** The warm session, if this person signed in recently. */
  warm(person: TurnPerson): DelegatedSession | undefined {
    return this.options.sessions.find(person.tenantId, person.aadObjectId);
  }

  /** Checks a token for this person and opens (or reuses) their session. */
  async fromToken(person: TurnPerson, token: string): Promise<SessionResult> {
    const checked = await this.options.validator.verify(token, { tenantId: person.tenantId, aadObjectId: person.aadObjectId });
    if (!checked.ok) {
      this.options.onRefused?.(person, checked.problem);
      return { ok: false, reason: 'refused', problem: checked.problem };
    }
    return { ok: true, session: this.options.sessions.open(checked.user, token) };
  }

  /** Redeems the magic code of the visible sign-in at the Bot Framework token service. */
  async fromMagicCode(context: TurnContext, person: TurnPerson, code: string): Promise<SessionResult> {
    if (!/^\d{6}$/.test(code.trim())) return { ok: false, reason: 'refused', problem: 'bad_code' };
    const client = userTokenClient(context);
    if (!client) return { ok: false, reason: 'refused', problem: 'sign_in_unavailable' };
    let token: string | undefined;
    try {
      // Nothing (not a TokenResponse) when the code redeems no token.
      const response = (await client.getUserToken(
        context.activity.from.id,
        this.options.connectionName,
        context.activity.channelId,
        code.trim(),
      )) as TokenResponse | undefined;
      token = response?.token;
    } catch {
      return { ok: false, reason: 'refused', problem: 'sign_in_unavailable' };
    }
    if (!token) return { ok: false, reason: 'refused', problem: 'bad_code' };
    return this.fromToken(person, token);
  }

  /** Forgets a session Entra no longer honours. */
  forget(person: TurnPerson): void {
    this.options.sessions.forget(person.tenantId, person.aadObjectId);
  }

  /** The OAuthCard Teams answers with SSO (tokenExchangeResource) or, where it cannot, a sign-in button. */
  async oauthCard(context: TurnContext, text: string): Promise<OAuthCardContent | undefined> {
    const link = await this.signInLink(context);
    if (!link) return undefined;
    return {
      text,
      connectionName: this.options.connectionName,
      tokenExchangeResource: { id: randomUUID(), uri: this.options.ssoAppIdUri, providerId: '' },
      buttons: [{ type: 'signin', title: 'Sign in', value: link }],
    };
  }

  /** A message carrying the OAuthCard, for message turns. */
  async oauthCardActivity(context: TurnContext, text: string): Promise<Partial<Activity> | undefined> {
    const card = await this.oauthCard(context, text);
    if (!card) return undefined;
    return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.oauth', content: card }] };
  }

  private async signInLink(context: TurnContext): Promise<string | undefined> {
    const client = userTokenClient(context);
    if (!client) return undefined;
    try {
      const resource = await client.getSignInResource(this.options.connectionName, context.activity, '');
      return resource.signInLink || undefined;
    } catch {
      return undefined;
    }
  }
}

function userTokenClient(context: TurnContext): UserTokenClient | undefined {
  const adapter = context.adapter as unknown as Partial<CloudAdapterBase>;
  return adapter.UserTokenClientKey ? context.turnState.get<UserTokenClient>(adapter.UserTokenClientKey) : undefined;
}
