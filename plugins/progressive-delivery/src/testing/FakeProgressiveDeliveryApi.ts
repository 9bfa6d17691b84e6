import {
  ActionResponse,
  CanaryAction,
  CanaryDetailsResponse,
  CanaryListResponse,
  CanaryMetricsResponse,
  CanaryRef,
  canaryKey,
  HistoryResponse,
  StreamMessage,
  WaitingResponse,
  WaitingScope,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ActionOptions, ProgressiveDeliveryApi } from '../api';
import {
  createDetailsResponse,
  createListResponse,
  createMetricSeries,
  createWaitingResponse,
  NOW,
} from './canaries';

type Answer<T> = T | Error | (() => T | Promise<T>);

async function answer<T>(value: Answer<T>): Promise<T> {
  if (value instanceof Error) {
    throw value;
  }
  if (typeof value === 'function') {
    return (value as () => T | Promise<T>)();
  }
  return value;
}

interface Subscriber {
  onMessage: (message: StreamMessage) => void;
  onError?: (error: Error) => void;
  onOpen?: () => void;
}

/**
 * An in-memory backend for component tests: set the answers, then look at the recorded
 * calls. `emit` pushes a stream message as the backend would; `dropStream` simulates a
 * lost connection.
 */
export class FakeProgressiveDeliveryApi implements ProgressiveDeliveryApi {
  list: Answer<CanaryListResponse> = createListResponse([]);
  details?: Answer<CanaryDetailsResponse>;
  metrics?: Answer<CanaryMetricsResponse>;
  history: Answer<HistoryResponse> = { items: [] };
  actAnswer?: Answer<ActionResponse>;
  /** The answer of `getWaiting`; a function gets the scope asked for. */
  waiting:
    | WaitingResponse
    | Error
    | ((scope: WaitingScope) => WaitingResponse | Promise<WaitingResponse>) =
    createWaitingResponse();
  readonly calls = {
    getCanaries: [] as string[],
    getWaiting: [] as WaitingScope[],
    act: [] as Array<{
      ref: CanaryRef;
      action: CanaryAction;
      options: ActionOptions;
    }>,
  };
  private subscribers = new Set<Subscriber>();

  async getCanaries(entityRef: string): Promise<CanaryListResponse> {
    this.calls.getCanaries.push(entityRef);
    return answer(this.list);
  }

  async getCanary(ref: CanaryRef): Promise<CanaryDetailsResponse> {
    if (this.details) {
      return answer(this.details);
    }
    const list = await answer(this.list);
    const summary = list.items.find(
      item =>
        item.ref.cluster === ref.cluster &&
        item.ref.namespace === ref.namespace &&
        item.ref.name === ref.name,
    );
    if (!summary) {
      throw new Error(`No canary ${canaryKey(ref)}`);
    }
    return createDetailsResponse(summary);
  }

  async getMetrics(
    ref: CanaryRef,
    entityRef: string,
  ): Promise<CanaryMetricsResponse> {
    if (this.metrics) {
      return answer(this.metrics);
    }
    const { summary } = await this.getCanary(ref);
    void entityRef;
    return { series: createMetricSeries(summary) };
  }

  async getWaiting(scope: WaitingScope): Promise<WaitingResponse> {
    this.calls.getWaiting.push(scope);
    const waiting = this.waiting;
    return typeof waiting === 'function' ? waiting(scope) : answer(waiting);
  }

  async getHistory(): Promise<HistoryResponse> {
    return answer(this.history);
  }

  async act(
    ref: CanaryRef,
    action: CanaryAction,
    options: ActionOptions,
  ): Promise<ActionResponse> {
    this.calls.act.push({ ref, action, options });
    if (this.actAnswer) {
      return answer(this.actAnswer);
    }
    return {
      action,
      ref,
      decision: {
        action,
        revision: '7c9f5d6b84',
        decidedBy: 'user:default/guest',
        decidedAt: NOW.toISOString(),
        comment: options.comment,
      },
      message: 'Recorded; Flagger picks it up at its next analysis tick.',
    };
  }

  subscribe(
    _entityRef: string,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: Error) => void,
    onOpen?: () => void,
  ): () => void {
    const subscriber = { onMessage, onError, onOpen };
    this.subscribers.add(subscriber);
    Promise.resolve().then(() => subscriber.onOpen?.());
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  emit(message: StreamMessage) {
    this.subscribers.forEach(subscriber => subscriber.onMessage(message));
  }

  dropStream(error = new Error('connection reset')) {
    this.subscribers.forEach(subscriber => subscriber.onError?.(error));
  }

  reopenStream() {
    this.subscribers.forEach(subscriber => subscriber.onOpen?.());
  }
}
