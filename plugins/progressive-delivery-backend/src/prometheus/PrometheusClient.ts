/** One series of an instant vector: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** A small client for Prometheus' HTTP API with a timeout on every request. */
export class PrometheusClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async query(query: string): Promise<Sample[]> {
    const body = await this.#get('/api/v1/query', { query });
    if (body.data?.resultType !== 'vector') {
      throw new Error(`Prometheus answered a ${body.data?.resultType} where a vector was expected`);
    }
    return (body.data.result ?? []).map((series: any) => ({
      labels: series.metric ?? {},
      value: Number(series.value?.[1]),
    }));
  }

  async queryRange(query: string, start: Date, end: Date, stepSeconds: number) {
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
    })) as Array<{ labels: Record<string, string>; values: Array<{ at: string; value: number }> }>;
  }

  async #get(path: string, params: Record<string, string>) {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}?${new URLSearchParams(params)}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error: any) {
      if (error?.name === 'TimeoutError') {
        throw new Error(`Prometheus at ${this.baseUrl} did not answer within ${this.timeoutMs} ms`);
      }
      throw new Error(`Prometheus at ${this.baseUrl} is unreachable: ${error?.cause?.code ?? error?.message}`);
    }
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Prometheus at ${this.baseUrl} answered ${response.status} with a non-JSON body`);
    }
    if (!response.ok || body.status !== 'success') {
      throw new Error(`Prometheus query failed (${response.status}): ${body.error ?? text.slice(0, 200)}`);
    }
    return body;
  }
}
