import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  CanaryListResponse,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../api';

/**
 * State of the push channel: `live` while the stream is open.
 *
 * @public
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/**
 * What `useCanaries` returns: the latest list, its errors and the push channel's state.
 *
 * @public
 */
export interface CanariesState {
  /** The latest list, kept while a refresh fails. */
  value?: CanaryListResponse;
  /** The error of the first load; the tab has nothing to show. */
  error?: Error;
  /** The error of a later refresh; the last good value is still shown. */
  refreshError?: Error;
  /** True while a load runs. */
  loading: boolean;
  /** The push channel's state. */
  connection: ConnectionState;
  /** The last stream message, so open details can decide whether to reload. */
  lastMessage?: StreamMessage;
  /** Time of the last successful load. */
  updatedAt?: Date;
  /** Reloads the list now. */
  refresh: () => void;
}

/**
 * Tuning of `useCanaries`' live updates.
 *
 * @public
 */
export interface UseCanariesOptions {
  /** Wait for a burst of stream messages to settle before reloading. */
  debounceMs?: number;
  /** Reload this often while the stream is down. */
  fallbackPollMs?: number;
}

/**
 * The entity's canaries, kept current by the backend's push channel. Messages are
 * debounced (a rollout step changes several objects at once); while the channel is down
 * the list is polled instead.
 *
 * @public
 */
export function useCanaries(
  entityRef: string,
  options: UseCanariesOptions = {},
): CanariesState {
  const { debounceMs = 150, fallbackPollMs = 30_000 } = options;
  const api = useApi(progressiveDeliveryApiRef);
  const [value, setValue] = useState<CanaryListResponse>();
  const [error, setError] = useState<Error>();
  const [refreshError, setRefreshError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [lastMessage, setLastMessage] = useState<StreamMessage>();
  const [updatedAt, setUpdatedAt] = useState<Date>();
  const hasValue = useRef(false);
  const requestId = useRef(0);

  const load = useCallback(async () => {
    const id = ++requestId.current;
    setLoading(true);
    try {
      const response = await api.getCanaries(entityRef);
      if (id !== requestId.current) {
        return;
      }
      hasValue.current = true;
      setValue(response);
      setError(undefined);
      setRefreshError(undefined);
      setUpdatedAt(new Date());
    } catch (e) {
      if (id !== requestId.current) {
        return;
      }
      const err = e instanceof Error ? e : new Error(String(e));
      if (hasValue.current) {
        setRefreshError(err);
      } else {
        setError(err);
      }
    } finally {
      if (id === requestId.current) {
        setLoading(false);
      }
    }
  }, [api, entityRef]);

  useEffect(() => {
    hasValue.current = false;
    setValue(undefined);
    setError(undefined);
    load();
  }, [load]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wasLost = false;
    setConnection('connecting');
    const unsubscribe = api.subscribe(
      entityRef,
      message => {
        setLastMessage(message);
        if (timer) {
          clearTimeout(timer);
        }
        timer = setTimeout(() => {
          timer = undefined;
          load();
        }, debounceMs);
      },
      () => {
        wasLost = true;
        setConnection('reconnecting');
      },
      () => {
        setConnection('live');
        // Changes may have been missed while the channel was down.
        if (wasLost) {
          wasLost = false;
          load();
        }
      },
    );
    return () => {
      unsubscribe();
      if (timer) {
        clearTimeout(timer);
      }
    };
  }, [api, entityRef, load, debounceMs]);

  useEffect(() => {
    if (connection === 'live') {
      return undefined;
    }
    const interval = setInterval(load, fallbackPollMs);
    return () => clearInterval(interval);
  }, [connection, load, fallbackPollMs]);

  return {
    value,
    error,
    refreshError,
    loading,
    connection,
    lastMessage,
    updatedAt,
    refresh: load,
  };
}
