/* Whether the signed-in person may take each action on an entity's releases, and the sentence
 * that says when not. */
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ACTION_LABELS,
  CanaryAction,
  permissionForAction,
} from '@progressive-delivery/plugin-progressive-delivery-common';

export interface PermissionState {
  loading: boolean;
  allowed: boolean;
}

/** One answer per action; pause and resume share their permission. */
export function useActionPermissions(
  entityRef: string,
): Record<CanaryAction, PermissionState> {
  const promote = usePermission({
    permission: permissionForAction.promote,
    resourceRef: entityRef,
  });
  const rollback = usePermission({
    permission: permissionForAction.rollback,
    resourceRef: entityRef,
  });
  const pause = usePermission({
    permission: permissionForAction.pause,
    resourceRef: entityRef,
  });
  const approve = usePermission({
    permission: permissionForAction['approve-rollout'],
    resourceRef: entityRef,
  });
  return {
    promote,
    rollback,
    pause,
    resume: pause,
    'approve-rollout': approve,
  };
}

function joinWords(words: string[]): string {
  return words.length <= 1
    ? words.join('')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The row's one sentence on permissions, or undefined when every offered action is allowed. */
export function permissionSentence(
  offered: CanaryAction[],
  permissions: Record<CanaryAction, PermissionState>,
): string | undefined {
  const denied = offered.filter(
    action => !permissions[action].loading && !permissions[action].allowed,
  );
  if (denied.length === 0) {
    return undefined;
  }
  const names = Array.from(
    new Set(denied.map(action => permissionForAction[action].name)),
  );
  const words = joinWords(
    denied.map(action => ACTION_LABELS[action].toLowerCase()),
  );
  return `You do not have permission to ${
    denied.length === offered.length ? 'steer' : words
  } this release (${names.join(', ')}); its owners can.`;
}
