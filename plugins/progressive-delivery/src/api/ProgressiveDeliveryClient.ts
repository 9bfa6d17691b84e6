import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ActionRequest,
  ActionResponse,
  CanaryAction,
  CanaryDetailsResponse,
  CanaryListResponse,
  CanaryMetricsResponse,
  CanaryRef,
  HistoryResponse,
  PROGRESSIVE_DELIVERY_PLUGIN_ID,
  StreamMessage,
  WaitingResponse,
  WaitingScope,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  ActionOptions,
  ProgressiveDeliveryApi,
} from './ProgressiveDeliveryApi';
import { ServerSentEventParser } from './sse';

/**
 * Backoff of the push channel's reconnects.
 *
 * @public
 */
export interface ReconnectOptions {
  /** The wait before the first reconnect, doubled after each failure. */
  initialDelayMs: number;
  /** The longest wait between reconnects. */
  maxDelayMs: number;
}

const DEFAULT_RECONNECT: ReconnectOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 30000,
};

/**
 * The event name the backend uses on `/stream`.
 *
 * @public
 */
export const STREAM_EVENT = 'change';

/**
 * The default {@link ProgressiveDeliveryApi}: calls the backend through the fetch API (so
 * requests carry the user's token) and follows its push channel, reconnecting with backoff.
 *
 * @public
 */
export class ProgressiveDeliveryClient implements ProgressiveDeliveryApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly reconnect: ReconnectOptions;

  constructor(options: {
    discoveryApi: DiscoveryApi;
    fetchApi: FetchApi;
    reconnect?: Partial<ReconnectOptions>;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  }

  /** {@inheritDoc ProgressiveDeliveryApi.getCanaries} */
  async getCanaries(entityRef: string): Promise<CanaryListResponse> {
    return this.get(`/canaries?${query({ entityRef })}`);
  }

  /** {@inheritDoc ProgressiveDeliveryApi.getCanary} */
  async getCanary(
    ref: CanaryRef,
    entityRef: string,
  ): Promise<CanaryDetailsResponse> {
    return this.get(`${canaryPath(ref)}?${query({ entityRef })}`);
  }

  /** {@inheritDoc ProgressiveDeliveryApi.getMetrics} */
  async getMetrics(
    ref: CanaryRef,
    entityRef: string,
    minutes: number,
  ): Promise<CanaryMetricsResponse> {
    return this.get(
      `${canaryPath(ref)}/metrics?${query({
        entityRef,
        minutes: String(minutes),
      })}`,
    );
  }

  /** {@inheritDoc ProgressiveDeliveryApi.getHistory} */
  async getHistory(entityRef: string): Promise<HistoryResponse> {
    return this.get(`/history?${query({ entityRef })}`);
  }

  /** {@inheritDoc ProgressiveDeliveryApi.getWaiting} */
  async getWaiting(scope: WaitingScope): Promise<WaitingResponse> {
    return this.get(`/waiting?${query({ scope })}`);
  }

  /** {@inheritDoc ProgressiveDeliveryApi.act} */
  async act(
    ref: CanaryRef,
    action: CanaryAction,
    options: ActionOptions,
  ): Promise<ActionResponse> {
    const body: ActionRequest = { entityRef: options.entityRef };
    const comment = options.comment?.trim();
    if (comment) {
      body.comment = comment;
    }
    const response = await this.fetchApi.fetch(
      `${await this.baseUrl()}${canaryPath(ref)}/actions/${encodeURIComponent(
        action,
      )}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }

  /** {@inheritDoc ProgressiveDeliveryApi.subscribe} */
  subscribe(
    entityRef: string,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: Error) => void,
    onOpen?: () => void,
  ): () => void {
    const controller = new AbortController();
    let delay = this.reconnect.initialDelayMs;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const connect = async () => {
      if (controller.signal.aborted) {
        return;
      }
      try {
        const response = await this.fetchApi.fetch(
          `${await this.baseUrl()}/stream?${query({ entityRef })}`,
          {
            headers: { Accept: 'text/event-stream' },
            signal: controller.signal,
          },
        );
        if (!response.ok) {
          throw await ResponseError.fromResponse(response);
        }
        if (!response.body) {
          throw new Error('The event stream has no body');
        }
        delay = this.reconnect.initialDelayMs;
        onOpen?.();
        const parser = new ServerSentEventParser();
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            break;
          }
          for (const event of parser.push(
            decoder.decode(value, { stream: true }),
          )) {
            if (event.retry !== undefined) {
              delay = Math.max(event.retry, this.reconnect.initialDelayMs);
            }
            if (event.event !== STREAM_EVENT) {
              continue;
            }
            try {
              onMessage(JSON.parse(event.data) as StreamMessage);
            } catch (error) {
              // A malformed frame must not end the subscription; the next one may be fine.
              onError?.(
                new Error(
                  `Ignored a malformed stream message: ${String(error)}`,
                ),
              );
            }
          }
        }
        if (!controller.signal.aborted) {
          onError?.(new Error('The event stream closed'));
        }
      } catch (error) {
        if (controller.signal.aborted) {
          return;
        }
        onError?.(error instanceof Error ? error : new Error(String(error)));
      }
      if (!controller.signal.aborted) {
        retryTimer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, this.reconnect.maxDelayMs);
      }
    };

    connect();
    return () => {
      controller.abort();
      if (retryTimer) {
        clearTimeout(retryTimer);
      }
    };
  }

  private async baseUrl(): Promise<string> {
    return this.discoveryApi.getBaseUrl(PROGRESSIVE_DELIVERY_PLUGIN_ID);
  }

  private async get<T>(path: string): Promise<T> {
    const response = await this.fetchApi.fetch(
      `${await this.baseUrl()}${path}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function canaryPath(ref: CanaryRef): string {
  return `/canaries/${[ref.cluster, ref.namespace, ref.name]
    .map(encodeURIComponent)
    .join('/')}`;
}
