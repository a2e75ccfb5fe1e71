/**
 * Sign-in at the Teams edge: the delegated session a click acts with (the SSO token Teams
 * re-sent, a magic code, or a warm session; otherwise the 401 loginRequest that makes Teams sign
 * the person in and repeat the click), and commands parked while their sender signs in, resumed
 * by the sign-in's own invoke.
 */
import type { InvokeResponse, TurnContext } from 'botbuilder';
import { NAMESPACE } from '../../app/ports/namespaces';
import type { StateStore } from '../../app/ports/stateStore';
import type { ResolvedTarget } from '../../app/revocation/revocationService';
import type { AdaptiveCard } from '../../cards/render';
import type { Clock } from '../../domain/clock';
import type { Command } from '../../domain/command';
import type { DelegatedSession } from '../../identity/delegatedSessions';
import { cardResponse } from '../cardUpdates';
import { explainSignIn } from '../explain';
import type { Presenter } from '../present';
import { sendCard } from '../turnHelpers';
import type { TurnPerson } from '../turnPerson';
import type { SessionResult, SignInGate } from './signInGate';

const LOGIN_REQUEST = 'application/vnd.microsoft.activity.loginRequest';
/** turnState key: the delegated session a click acted with (see challengeAnswer). */
const SESSION_USED = Symbol('delegated session used by this turn');
/** How long a command waits for its sender to sign in. */
const PARKED_FOR_IN_MS = 10 * 60_000;

/** A command waiting for its sender to sign in, with the target already resolved from the conversation. */
export interface ParkedCommand {
  readonly command: Command;
  readonly target?: ResolvedTarget;
}

/** The sign-in gate, and where parked commands wait. */
export interface SignInOptions {
  readonly gate: SignInGate;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly presenter: Presenter;
}

/** Sessions for clicks and commands, and the commands that wait for a sign-in. */
export class SignIn {
  constructor(private readonly options: SignInOptions) {}

  /** The warm session, if this person signed in recently. */
  warm(person: TurnPerson): DelegatedSession | undefined {
    return this.options.gate.warm(person);
  }

  /** Forgets a session Entra no longer honours. */
  forget(person: TurnPerson): void {
    this.options.gate.forget(person);
  }

  /** Checks a token Teams sent for this person and opens their session. */
  fromToken(person: TurnPerson, token: string): Promise<SessionResult> {
    return this.options.gate.fromToken(person, token);
  }

  /** Redeems the magic code of the visible sign-in. */
  fromMagicCode(context: TurnContext, person: TurnPerson, code: string): Promise<SessionResult> {
    return this.options.gate.fromMagicCode(context, person, code);
  }

  /**
   * The delegated session a click acts with: the SSO token Teams re-sent, a magic code, or a warm
   * session; otherwise the answer to give (a 401 loginRequest, or why the sign-in failed). The
   * session is remembered for the turn, so the dispatcher sees whether Graph challenged it.
   */
  async forClick(context: TurnContext, person: TurnPerson): Promise<DelegatedSession | InvokeResponse> {
    const session = await this.sessionFor(context, person);
    if (!('status' in session)) context.turnState.set(SESSION_USED, session);
    return session;
  }

  /**
   * After a click: when Graph challenged the clicker's token (Continuous Access Evaluation: their
   * own sessions were revoked or their account disabled), nothing more runs with it; the answer
   * asks them to sign in again, and Teams repeats the click with a fresh sign-in.
   */
  async challengeAnswer(context: TurnContext): Promise<InvokeResponse | undefined> {
    const used = context.turnState.get<DelegatedSession | undefined>(SESSION_USED);
    return used?.challenged() ? this.signInRequest(context) : undefined;
  }

  /** The 401 loginRequest answer: Teams signs the person in (silently where it can) and repeats the click. */
  async signInRequest(context: TurnContext): Promise<InvokeResponse | undefined> {
    const card = await this.options.gate.oauthCard(context, 'Sign in to continue');
    return card ? { status: 401, body: { statusCode: 401, type: LOGIN_REQUEST, value: card } } : undefined;
  }

  /** Parks the command and sends the sign-in card; the sign-in's invoke resumes it. */
  async park(context: TurnContext, person: TurnPerson, parked: ParkedCommand, text: string): Promise<void> {
    await this.putLatest(parkKey(context, person), parked);
    const card = await this.options.gate.oauthCardActivity(context, text);
    if (!card) {
      const why = explainSignIn('sign_in_unavailable');
      await sendCard(context, this.options.presenter.notice(why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning'));
      return;
    }
    await context.sendActivity(card);
  }

  /** Takes the command this person parked in this conversation, once (of several sign-ins, one resumes it). */
  async takeParked(context: TurnContext, person: TurnPerson): Promise<ParkedCommand | undefined> {
    const key = parkKey(context, person);
    const parked = await this.options.store.get<ParkedCommand>(NAMESPACE.parkedCommands, key);
    if (!parked) return undefined;
    return (await this.options.store.delete(NAMESPACE.parkedCommands, key, parked.etag)) ? parked.value : undefined;
  }

  /** Why a sign-in could not be used, as a failure card. */
  failureCard(problem: Parameters<typeof explainSignIn>[0]): AdaptiveCard {
    return this.options.presenter.failure(explainSignIn(problem));
  }

  private async sessionFor(context: TurnContext, person: TurnPerson): Promise<DelegatedSession | InvokeResponse> {
    const value = (context.activity.value ?? {}) as { authentication?: { token?: unknown }; state?: unknown };
    if (typeof value.authentication?.token === 'string') {
      const result = await this.options.gate.fromToken(person, value.authentication.token);
      if (result.ok) return result.session;
      return cardResponse(this.failureCard(result.reason === 'refused' ? result.problem : 'malformed'));
    }
    if (typeof value.state === 'string' && value.state) {
      const result = await this.options.gate.fromMagicCode(context, person, value.state);
      if (result.ok) return result.session;
      return cardResponse(this.failureCard(result.reason === 'refused' ? result.problem : 'bad_code'));
    }
    const warm = this.options.gate.warm(person);
    if (warm) return warm;
    return (await this.signInRequest(context)) ?? cardResponse(this.failureCard('sign_in_unavailable'));
  }

  /** Writes the parked command whatever was there: the newest command a person typed before signing in wins. */
  private async putLatest(key: string, parked: ParkedCommand): Promise<void> {
    const expiresAt = new Date(this.options.clock.now().getTime() + PARKED_FOR_IN_MS);
    const { store } = this.options;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const existing = await store.get<ParkedCommand>(NAMESPACE.parkedCommands, key);
      const written = existing
        ? await store.replace(NAMESPACE.parkedCommands, key, parked, existing.etag, { expiresAt })
        : await store.create(NAMESPACE.parkedCommands, key, parked, { expiresAt });
      if (written.ok) return;
    }
  }
}

function parkKey(context: TurnContext, person: TurnPerson): string {
  return `${person.tenantId}|${person.aadObjectId}|${context.activity.conversation.id}`;
}
