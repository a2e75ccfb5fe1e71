/**
 * The Teams conversations the emulator knows: personal chats, group chats, teams and their
 * channels, with their rosters. Ids look like Teams' own (docs/teams-protocol.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Directory, DirectoryUser } from '../directory';
import type { Conversation, Team } from './types';

function threadId(suffix: 'thread.v2' | 'thread.tacv2'): string {
  return `19:${randomBytes(16).toString('hex')}@${suffix}`;
}

/** The conversation id without a `;messageid=` thread suffix. */
export function baseConversationId(id: string): string {
  const at = id.indexOf(';messageid=');
  return at < 0 ? id : id.slice(0, at);
}

/** The thread root id from a `…;messageid=<n>` conversation id. */
export function threadRootId(id: string): string | undefined {
  const at = id.indexOf(';messageid=');
  return at < 0 ? undefined : id.slice(at + ';messageid='.length);
}

/** The account Teams' roster APIs return (TeamsChannelAccount, both id spellings). */
export function teamsChannelAccount(user: DirectoryUser, tenantId: string): Record<string, unknown> {
  return {
    id: user.teamsId,
    name: user.displayName,
    aadObjectId: user.id,
    objectId: user.id,
    givenName: user.givenName,
    surname: user.surname,
    email: user.mail,
    userPrincipalName: user.userPrincipalName,
    tenantId,
    userRole: user.userType === 'Guest' ? 'guest' : 'user',
  };
}

class EmulatedTeam implements Team {
  readonly id = threadId('thread.tacv2');
  botInstalled = true;
  readonly aadGroupId = randomUUID();
  readonly general: Conversation;
  private readonly byName = new Map<string, Conversation>();

  constructor(
    private readonly registry: ConversationRegistry,
    readonly name: string,
    readonly members: readonly DirectoryUser[],
    readonly tenantId: string,
  ) {
    this.general = this.add('General', this.id, 'standard', members);
  }

  get channels(): readonly Conversation[] {
    return [...this.byName.values()];
  }

  channel(name: string): Conversation {
    return this.byName.get(name.toLowerCase()) ?? this.add(name, threadId('thread.tacv2'), 'standard', this.members);
  }

  privateChannel(name: string, members: readonly DirectoryUser[] = this.members): Conversation {
    const outsiders = members.filter((m) => !this.members.includes(m));
    if (outsiders.length > 0)
      throw new Error(`Private channel members must be in the team: ${outsiders.map((u) => u.displayName).join(', ')}`);
    return this.byName.get(name.toLowerCase()) ?? this.add(name, threadId('thread.tacv2'), 'private', members);
  }

  private add(name: string, id: string, membershipType: 'standard' | 'private', members: readonly DirectoryUser[]): Conversation {
    const conversation: Conversation = {
      id,
      conversationType: 'channel',
      tenantId: this.tenantId,
      isGroup: true,
      name,
      members: [...members],
      team: this,
      membershipType,
    };
    this.byName.set(name.toLowerCase(), conversation);
    this.registry.register(conversation);
    return conversation;
  }
}

export class ConversationRegistry {
  private readonly byId = new Map<string, Conversation>();
  private readonly personalByUser = new Map<string, Conversation>();
  private readonly teamsById = new Map<string, Team>();

  constructor(
    private readonly directory: Directory,
    readonly tenantId: string,
  ) {}

  register(conversation: Conversation): void {
    this.byId.set(conversation.id, conversation);
  }

  /** The user's 1:1 chat with the bot (the same one every time). */
  personalChat(user: DirectoryUser): Conversation {
    const existing = this.personalByUser.get(user.id);
    if (existing) return existing;
    const conversation: Conversation = {
      id: `a:1${randomBytes(24).toString('base64url')}`,
      conversationType: 'personal',
      tenantId: this.tenantId,
      isGroup: false,
      members: [user],
    };
    this.personalByUser.set(user.id, conversation);
    this.register(conversation);
    return conversation;
  }

  groupChat(members: readonly DirectoryUser[], topic?: string): Conversation {
    const conversation: Conversation = {
      id: threadId('thread.v2'),
      conversationType: 'groupChat',
      tenantId: this.tenantId,
      isGroup: true,
      ...(topic ? { name: topic } : {}),
      members: [...members],
    };
    this.register(conversation);
    return conversation;
  }

  team(name: string, members: readonly DirectoryUser[], options: { botInstalled?: boolean } = {}): Team {
    const team = new EmulatedTeam(this, name, [...members], this.tenantId);
    team.botInstalled = options.botInstalled ?? true;
    this.teamsById.set(team.id, team);
    return team;
  }

  /** The conversation an id (with or without a thread suffix) names. */
  find(id: string): Conversation | undefined {
    return this.byId.get(baseConversationId(id));
  }

  findTeam(id: string): Team | undefined {
    return this.teamsById.get(id);
  }

  /**
   * The roster a members call on this conversation id reads: a channel id reads its team's
   * roster (TeamsInfo passes the team id, which is the General channel's).
   */
  rosterOf(id: string): readonly DirectoryUser[] | undefined {
    const conversation = this.find(id);
    if (!conversation) return undefined;
    return conversation.team && conversation.membershipType !== 'private' ? conversation.team.members : conversation.members;
  }

  /** A roster member by Teams id (29:…), UPN or Entra object id. */
  findMember(roster: readonly DirectoryUser[], memberId: string): DirectoryUser | undefined {
    const wanted = memberId.toLowerCase();
    return roster.find((u) => u.teamsId === memberId || u.id.toLowerCase() === wanted || u.userPrincipalName.toLowerCase() === wanted);
  }

  /** A directory user by Teams id, UPN or object id (for creating 1:1 chats). */
  findUser(memberId: string): DirectoryUser | undefined {
    return this.directory.findByTeamsId(memberId) ?? this.directory.findUser(memberId);
  }
}
