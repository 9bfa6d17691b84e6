import '@testing-library/jest-dom';

// jsdom has no layout and no ResizeObserver; recharts' ResponsiveContainer needs the class to exist.
class NoLayoutResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
if (!('ResizeObserver' in globalThis)) {
  (globalThis as any).ResizeObserver = NoLayoutResizeObserver;
}

// Rendering MUI in jsdom takes seconds per test on a 2-core CI machine running suites in
// parallel; the default 5 s timeout measures the machine, not the component.
jest.setTimeout(30_000);
