/** Public types of the emulated Teams channel, connector and client. */
import type { DirectoryUser } from '../directory';
import type { JsonObject } from './json';

export type ConversationType = 'personal' | 'groupChat' | 'channel';

/** A Teams conversation the emulated client can post in. */
export interface Conversation {
  /** a:… (personal), 19:…@thread.v2 (group chat), 19:…@thread.tacv2 (channel; the General channel's id is the team id). */
  readonly id: string;
  readonly conversationType: ConversationType;
  readonly tenantId: string;
  readonly isGroup: boolean;
  /** Group chat topic or channel name. */
  readonly name?: string;
  /** Who is in it (a channel's roster is its team's, a private channel's its own). */
  readonly members: readonly DirectoryUser[];
  /** The team, for channels. */
  readonly team?: Team;
  /** For channels: 'standard' or 'private'. */
  readonly membershipType?: 'standard' | 'private';
}

/** A team with its channels. */
export interface Team {
  readonly id: string;
  readonly name: string;
  /** The team's Microsoft 365 group id. */
  readonly aadGroupId: string;
  readonly tenantId: string;
  readonly members: readonly DirectoryUser[];
  /** The General channel (its id is the team id). */
  readonly general: Conversation;
  /** The standard channel of that name (created on first use; 'General' is the General channel). */
  channel(name: string): Conversation;
  /** A private channel of that name with the given members (default: all team members). */
  privateChannel(name: string, members?: readonly DirectoryUser[]): Conversation;
  readonly channels: readonly Conversation[];
  /** Whether the bot is installed in this team (channel posts from a bot that is not are refused with BotNotInConversationRoster). */
  botInstalled: boolean;
}

export interface ChannelAccountRef {
  readonly id: string;
  readonly name?: string;
  readonly aadObjectId?: string;
}

export interface AttachmentJson {
  readonly contentType: string;
  readonly content?: unknown;
  readonly contentUrl?: string;
  readonly name?: string;
}

/** A message as the Teams client shows it. */
export interface PostedMessage {
  readonly id: string;
  /** The conversation id it lives in; channel posts carry `;messageid=<thread root id>`. */
  readonly conversationId: string;
  readonly from: ChannelAccountRef;
  readonly fromBot: boolean;
  readonly text?: string;
  readonly attachments: readonly AttachmentJson[];
  /** The first Adaptive Card attachment's content (for the viewer, when one was asked for). */
  readonly card?: JsonObject;
  /** The first OAuthCard attachment's content. */
  readonly oauthCard?: JsonObject;
  readonly entities?: readonly unknown[];
  readonly replyToId?: string;
  /** How many times the bot updated it (PUT). */
  readonly updatedCount: number;
  /** When it was posted (ms since the epoch). */
  readonly postedAt: number;
}

/** The outcome of the client's sign-in handling (silent SSO, then the visible path). */
export interface SignInOutcome {
  /** Teams would show the sign-in button: SSO was impossible or refused and no visible sign-in was done (or it failed). */
  readonly signInRequired?: boolean;
}

export interface TurnResult extends SignInOutcome {
  /** HTTP status of the message POST (0 when the bot could not be reached). */
  readonly status: number;
  readonly body: unknown;
  /** Messages the bot created while the client handled this message (its turn and any sign-in invokes). */
  readonly posted: PostedMessage[];
  /** The path the client took, e.g. ['message→200', 'oauth card', 'sso token', 'signin/tokenExchange→200']. */
  readonly steps: string[];
  readonly elapsedInMs: number;
}

export interface InvokeError {
  readonly code: string;
  readonly message: string;
}

export interface InvokeResult extends SignInOutcome {
  /** HTTP status of the last invoke sent (0 when the bot could not be reached). */
  readonly status: number;
  readonly body: unknown;
  /** The Adaptive Card shown to the clicker afterwards (a 200 card response). */
  readonly card?: JsonObject;
  /** A toast text (a 200 application/vnd.microsoft.activity.message response). */
  readonly message?: string;
  /** An error the client would show (error response, or an unreadable answer). */
  readonly error?: InvokeError;
  /** e.g. ['invoke→401 loginRequest', 'sso token', 'invoke→200']. */
  readonly steps: string[];
  /** Wall time of the whole click, sign-in included. */
  readonly elapsedInMs: number;
  /** Some single request took longer than Teams waits (~15 s): Teams would show "unable to reach app". */
  readonly unreachable: boolean;
  /** Messages the bot created while the click was handled. */
  readonly posted: PostedMessage[];
}

export type ConnectorOperation =
  'createConversation' | 'send' | 'reply' | 'update' | 'delete' | 'getMember' | 'members' | 'pagedMembers' | 'teamDetails' | 'teamChannels';

/** One connector call that reached a handler (faults injected through the server answer before it). */
export interface ConnectorCall {
  readonly operation: ConnectorOperation;
  readonly method: string;
  readonly path: string;
  readonly conversationId?: string;
  readonly activityId?: string;
  readonly memberId?: string;
  readonly status: number;
  /** Whether the bot's bearer token was valid (Entra-signed, aud https://api.botframework.com, azp/appid = bot). */
  readonly authorized: boolean;
  /** The token's azp/appid when it verified. */
  readonly appId?: string;
  /** Why the token was refused. */
  readonly authError?: string;
  /** The request body (an activity or conversation parameters), when there was one. */
  readonly body?: unknown;
  readonly at: number;
}

/** Options for the bearer token postActivity attaches (auth tests). */
export interface ChannelTokenOptions {
  readonly audience?: string;
  readonly issuer?: string;
  readonly expired?: boolean;
  /** Sign with an unpublished key under the genuine kid. */
  readonly forge?: boolean;
  /** The serviceurl claim (default: the activity's serviceUrl). */
  readonly serviceUrl?: string;
  /** Send no Authorization header. */
  readonly omit?: boolean;
  /** Send this Authorization header value verbatim. */
  readonly raw?: string;
}
