import { act, renderHook, waitFor } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { progressiveDeliveryApiRef } from '../api';
import {
  createCanarySummary,
  createListResponse,
  FakeProgressiveDeliveryApi,
} from '../testing';
import { useCanaries } from './useCanaries';

function setup(options = { debounceMs: 20, fallbackPollMs: 50 }) {
  const api = new FakeProgressiveDeliveryApi();
  api.list = createListResponse([createCanarySummary()]);
  const hook = renderHook(
    () => useCanaries('component:default/hello-contour', options),
    {
      wrapper: ({ children }) => (
        <TestApiProvider apis={[[progressiveDeliveryApiRef, api]]}>
          {children}
        </TestApiProvider>
      ),
    },
  );
  return { api, hook };
}

describe('useCanaries', () => {
  it('reloads once for a burst of stream messages', async () => {
    const { api, hook } = setup();
    await waitFor(() => expect(hook.result.current.connection).toBe('live'));
    expect(api.calls.getCanaries).toHaveLength(1);
    act(() => {
      for (let i = 0; i < 5; i++) {
        api.emit({ type: 'canary-changed', at: new Date().toISOString() });
      }
    });
    await waitFor(() => expect(api.calls.getCanaries).toHaveLength(2));
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(api.calls.getCanaries).toHaveLength(2);
  });

  it('polls while the stream is down and stops polling when it is back', async () => {
    const { api, hook } = setup();
    await waitFor(() => expect(hook.result.current.connection).toBe('live'));
    act(() => api.dropStream());
    expect(hook.result.current.connection).toBe('reconnecting');
    await waitFor(() =>
      expect(api.calls.getCanaries.length).toBeGreaterThanOrEqual(3),
    );
    act(() => api.reopenStream());
    expect(hook.result.current.connection).toBe('live');
    await new Promise(resolve => setTimeout(resolve, 20));
    const settled = api.calls.getCanaries.length;
    await new Promise(resolve => setTimeout(resolve, 150));
    expect(api.calls.getCanaries.length).toBe(settled);
  });

  it('keeps the last good list when a refresh fails', async () => {
    const { api, hook } = setup();
    await waitFor(() =>
      expect(hook.result.current.value?.items).toHaveLength(1),
    );
    api.list = new Error('502 Bad Gateway');
    await act(async () => hook.result.current.refresh());
    await waitFor(() =>
      expect(hook.result.current.refreshError?.message).toBe('502 Bad Gateway'),
    );
    expect(hook.result.current.value?.items).toHaveLength(1);
    expect(hook.result.current.error).toBeUndefined();
  });
});
