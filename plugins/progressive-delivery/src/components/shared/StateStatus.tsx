import { ReactNode } from 'react';
import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { StateTone } from '@progressive-delivery/plugin-progressive-delivery-common';

const TONE_COMPONENTS: Record<StateTone, typeof StatusOK> = {
  ok: StatusOK,
  progress: StatusRunning,
  waiting: StatusWarning,
  error: StatusError,
  neutral: StatusPending,
};

/**
 * A Backstage status (icon shape and colour differ per tone) with its words. The
 * core Status components hide themselves from screen readers by default; here the
 * words are the point, so they stay readable.
 */
export function ToneStatus(props: { tone: StateTone; children: ReactNode }) {
  const Status = TONE_COMPONENTS[props.tone] ?? StatusPending;
  return (
    <Status aria-hidden={false} aria-label={undefined}>
      {props.children}
    </Status>
  );
}
