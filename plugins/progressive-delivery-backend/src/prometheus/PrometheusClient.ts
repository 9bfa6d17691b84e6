/** One series of an instant vector: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  labels: Record<string, string>;
  values: Array<{ at: string; value: number }>;
}

/**
 * A Prometheus failure. `unreachable` is true when Prometheus itself is the problem (no
 * answer, timeout, 5xx, not Prometheus), false when it rejected one query (e.g. bad PromQL
 * from a MetricTemplate) — only the former marks the cluster's Prometheus as down.
 */
export class PrometheusError extends Error {
  readonly unreachable: boolean;
  constructor(message: string, unreachable: boolean) {
    super(message);
    this.name = 'PrometheusError';
    this.unreachable = unreachable;
  }
}

/** A small client for Prometheus' HTTP API; every request is bounded by a timeout. */
export class PrometheusClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(
    baseUrl: string,
    timeoutMs: number,
    fetchImpl: typeof fetch = fetch,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#fetch = fetchImpl;
  }

  /** `GET /api/v1/query` (instant, at "now", as Flagger queries). */
  async query(query: string): Promise<Sample[]> {
    const body = await this.#get('/api/v1/query', { query });
    const data = body.data ?? {};
    if (data.resultType === 'scalar') {
      return [{ labels: {}, value: Number(data.result?.[1]) }];
    }
    if (data.resultType !== 'vector') {
      throw new PrometheusError(
        `Prometheus answered a ${data.resultType} where a vector was expected`,
        false,
      );
    }
    return (data.result ?? []).map((series: any) => ({
      labels: series.metric ?? {},
      value: Number(series.value?.[1]),
    }));
  }

  /** `GET /api/v1/query_range`, for charts. */
  async queryRange(
    query: string,
    start: Date,
    end: Date,
    stepSeconds: number,
  ): Promise<RangeSeries[]> {
    const body = await this.#get('/api/v1/query_range', {
      query,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
    });
    return (body.data?.result ?? []).map((series: any) => ({
      labels: series.metric ?? {},
      values: (series.values ?? []).map(([at, value]: [number, string]) => ({
        at: new Date(at * 1000).toISOString(),
        value: Number(value),
      })),
    }));
  }

  async #get(path: string, params: Record<string, string>): Promise<any> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.#fetch(url, {
          signal: controller.signal,
          headers: { Accept: 'application/json' },
        });
      } catch (error: any) {
        if (controller.signal.aborted) {
          throw new PrometheusError(
            `Prometheus at ${this.baseUrl} did not answer within ${
              this.#timeoutMs
            } ms`,
            true,
          );
        }
        throw new PrometheusError(
          `Prometheus at ${this.baseUrl} is unreachable: ${
            error?.cause?.code ?? error?.cause?.message ?? error?.message
          }`,
          true,
        );
      }
      let text: string;
      try {
        text = await response.text();
      } catch {
        throw new PrometheusError(
          `Prometheus at ${this.baseUrl} did not answer within ${
            this.#timeoutMs
          } ms`,
          true,
        );
      }
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        throw new PrometheusError(
          `Prometheus at ${this.baseUrl} answered ${response.status} with a body that is not Prometheus JSON`,
          true,
        );
      }
      if (!response.ok || body.status !== 'success') {
        const unreachable =
          response.status >= 500 &&
          body.errorType !== 'execution' &&
          body.errorType !== 'bad_data';
        throw new PrometheusError(
          `Prometheus query failed (${response.status}${
            body.errorType ? ` ${body.errorType}` : ''
          }): ${body.error ?? text.slice(0, 200)}`,
          unreachable,
        );
      }
      return body;
    } finally {
      clearTimeout(timer);
    }
  }
}
