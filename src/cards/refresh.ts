/** Teams runs a card's automatic refresh for at most 60 listed users. */
export const MAX_REFRESH_USER_IDS = 60;

/** What a template binds for an optional `refresh` block. */
export interface RefreshBinding {
  hasRefresh: boolean;
  /** Teams user MRIs (`29:…`); `[]` = manual refresh only */
  refreshUserIds: string[];
}

/** A refresh block only when the caller asked for one (userIds given) and there is a request to refresh. */
export function refreshBinding(requestId: string | undefined, userIds: readonly string[] | undefined): RefreshBinding {
  if (requestId === undefined || userIds === undefined) return { hasRefresh: false, refreshUserIds: [] };
  return { hasRefresh: true, refreshUserIds: userIds.slice(0, MAX_REFRESH_USER_IDS) };
}
