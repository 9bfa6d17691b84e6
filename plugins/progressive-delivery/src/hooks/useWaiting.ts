import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  WaitingResponse,
  WaitingScope,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../api';

/** How often the waiting page reloads by default. */
export const WAITING_REFRESH_MS = 15_000;

/** @public */
export interface WaitingState {
  value?: WaitingResponse;
  /** The error of the first load for this scope; nothing to show. */
  error?: Error;
  /** The error of a later reload; the last good answer is still shown. */
  refreshError?: Error;
  loading: boolean;
  updatedAt?: Date;
  refresh: () => void;
}

/**
 * What waits for the signed-in user across the catalog. The backend's push channel is per
 * entity, so the page polls instead: every `refreshMs` while the browser tab is visible, and
 * at once when it becomes visible again.
 */
export function useWaiting(
  scope: WaitingScope,
  refreshMs: number = WAITING_REFRESH_MS,
): WaitingState {
  const api = useApi(progressiveDeliveryApiRef);
  const [value, setValue] = useState<WaitingResponse>();
  const [error, setError] = useState<Error>();
  const [refreshError, setRefreshError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [updatedAt, setUpdatedAt] = useState<Date>();
  const requestId = useRef(0);
  const hasValue = useRef(false);

  const load = useCallback(async () => {
    const id = ++requestId.current;
    setLoading(true);
    try {
      const response = await api.getWaiting(scope);
      if (id !== requestId.current) return;
      hasValue.current = true;
      setValue(response);
      setError(undefined);
      setRefreshError(undefined);
      setUpdatedAt(new Date());
    } catch (e) {
      if (id !== requestId.current) return;
      const err = e instanceof Error ? e : new Error(String(e));
      if (hasValue.current) setRefreshError(err);
      else setError(err);
    } finally {
      if (id === requestId.current) setLoading(false);
    }
  }, [api, scope]);

  useEffect(() => {
    // Another scope is another list: the previous one must not show meanwhile.
    hasValue.current = false;
    setValue(undefined);
    setError(undefined);
    load();
  }, [load]);

  useEffect(() => {
    const interval = setInterval(() => {
      if (document.visibilityState !== 'hidden') load();
    }, refreshMs);
    const onVisible = () => {
      if (document.visibilityState === 'visible') load();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(interval);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [load, refreshMs]);

  return { value, error, refreshError, loading, updatedAt, refresh: load };
}
