/**
 * Prometheus metrics of one node (prom-client, its own registry so tests and several
 * in-process nodes never share counters). Served on GET /metrics.
 *
 * Every request is counted and timed, so that recording is kept to a few array and map
 * operations (RequestSeries): prom-client's `inc`/`observe` with labels hash and check
 * the labels on every call, ~0.6 µs per request together (bench/api). The counts reach
 * prom-client when the metrics are read, and read exactly as before: same names, series,
 * labels and order.
 */
import { Counter, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

const REQUESTS = 'miniscale_http_requests_total';
const DURATION = 'miniscale_http_request_duration_seconds';
/** Upper bounds of the request duration buckets, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class NodeMetrics {
  readonly registry = new Registry();
  /** Answers by method, route and status; fed by `observeRequest` (see RequestSeries). */
  readonly requests: Counter<'method' | 'route' | 'status'>;
  /** Time to answer by method and route; fed by `observeRequest`. */
  readonly duration: DurationHistogram;
  readonly logins = new Counter({
    name: 'miniscale_logins_total',
    help: 'Login attempts by outcome (ok or error code)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'miniscale_rate_limited_total',
    help: 'Requests refused by a rate limit, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  /** Calls to WeChat on the access_token, by call (its path) and outcome (ok, or the error code answered). */
  readonly wechatCalls = new Counter({
    name: 'miniscale_wechat_calls_total',
    help: 'WeChat platform calls by call and outcome (ok or error code)',
    labelNames: ['call', 'outcome'] as const,
    registers: [this.registry],
  });
  /** access_token fetches by this node: WeChat allows 20 forced ones a day. */
  readonly wechatTokenFetches = new Counter({
    name: 'miniscale_wechat_token_fetches_total',
    help: 'access_token fetches (stable_token) by this node, by reason and whether force_refresh was used',
    labelNames: ['reason', 'forced'] as const,
    registers: [this.registry],
  });
  readonly #series = new RequestSeries();

  constructor(nodeId: string) {
    this.requests = new RequestCounter(this.#series, this.registry);
    this.duration = new DurationHistogram(DURATION, 'Time to answer, by route', this.#series);
    // Not a prom-client class, but read by the registry through the same members (get, getForPromString, reset).
    this.registry.registerMetric(this.duration as unknown as Metric);
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Answers per duration bucket over every route, not cumulative (the console's latency; read once a second, not per request). */
  latencyCounts(): number[] {
    const sum = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
    for (const s of this.#series.durations) for (let i = 0; i < sum.length; i++) sum[i]! += s.buckets[i]!;
    return sum;
  }

  /** One answered request: its route pattern ('unmatched' when none), status and time in milliseconds. */
  observeRequest(method: string, route: string, status: number, elapsedMs: number): void {
    this.#series.observe(method, route, status, elapsedMs / 1000);
  }
}

/** prom-client's Counter, topped up from RequestSeries whenever it is read. */
class RequestCounter extends Counter<'method' | 'route' | 'status'> {
  constructor(
    private readonly series: RequestSeries,
    registry: Registry,
  ) {
    super({
      name: REQUESTS,
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
      collect() {
        series.flushAnswers((labels, n) => this.inc(labels, n));
      },
    });
  }

  /** Pending answers are dropped with the rest (prom-client's constructor resets too, before `series` is set). */
  override reset(): void {
    (this.series as RequestSeries | undefined)?.flushAnswers(() => {});
    super.reset();
  }
}

interface AnswerCount {
  readonly labels: { method: string; route: string; status: string };
  /** Answers not yet added to the prom-client counter. */
  pending: number;
}

interface DurationSeries {
  readonly labels: { method: string; route: string };
  /** Observations per bucket, not cumulative; the last one is +Inf only. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

interface RouteMethod {
  /** Undefined until observed (again, after a reset). */
  duration: DurationSeries | undefined;
  readonly byStatus: Map<number, AnswerCount>;
}

/**
 * The request counts and durations, looked up by route, then method, then status
 * (strings Fastify keeps, and a number: no key is built per request). Series are also
 * kept in the order they first appeared, which is the order prom-client lists them in.
 */
class RequestSeries {
  readonly #byRoute = new Map<string, Map<string, RouteMethod>>();
  readonly #answers: AnswerCount[] = [];
  readonly durations: DurationSeries[] = [];

  observe(method: string, route: string, status: number, seconds: number): void {
    const rm = this.#routeMethod(method, route);
    let answers = rm.byStatus.get(status);
    if (answers === undefined) {
      answers = { labels: { method, route, status: String(status) }, pending: 0 };
      this.#answers.push(answers);
      rm.byStatus.set(status, answers);
    }
    answers.pending++;
    this.#duration(rm, method, route, seconds);
  }

  observeDuration(method: string, route: string, seconds: number): void {
    this.#duration(this.#routeMethod(method, route), method, route, seconds);
  }

  #routeMethod(method: string, route: string): RouteMethod {
    let byMethod = this.#byRoute.get(route);
    if (byMethod === undefined) this.#byRoute.set(route, (byMethod = new Map<string, RouteMethod>()));
    let rm = byMethod.get(method);
    if (rm === undefined) byMethod.set(method, (rm = { duration: undefined, byStatus: new Map() }));
    return rm;
  }

  #duration(rm: RouteMethod, method: string, route: string, seconds: number): void {
    // prom-client refuses such a value (it throws); Fastify's elapsed time is always finite.
    if (!Number.isFinite(seconds)) return;
    let d = rm.duration;
    if (d === undefined) {
      d = { labels: { method, route }, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
      rm.duration = d;
      this.durations.push(d);
    }
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[b]!) b++;
    d.buckets[b]!++;
    d.sum += seconds;
    d.count++;
  }

  flushAnswers(add: (labels: AnswerCount['labels'], n: number) => void): void {
    for (const a of this.#answers) {
      if (a.pending === 0) continue;
      add(a.labels, a.pending);
      a.pending = 0;
    }
  }

  resetDurations(): void {
    for (const byMethod of this.#byRoute.values()) for (const rm of byMethod.values()) rm.duration = undefined;
    this.durations.length = 0;
  }
}

/** One value as prom-client's Histogram hands it out (before its labels are merged). */
interface HistogramValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

/**
 * A histogram read from RequestSeries, handed to prom-client's registry in exactly the
 * shape its own Histogram hands out (`get` and `getForPromString`), so the text
 * exposition, the JSON form and the cluster aggregation are unchanged
 * (test/api/node-metrics.test.ts compares both with prom-client's Histogram).
 */
class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames = ['method', 'route'];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly series: RequestSeries,
  ) {}

  /** prom-client's `observe(labels, value)`, for callers that time one route themselves. */
  observe(labels: { method: string; route: string }, seconds: number): void {
    this.series.observeDuration(labels.method, labels.route, seconds);
  }

  async getForPromString(): Promise<{ name: string; help: string; type: string; values: HistogramValue[]; aggregator: string }> {
    const values: HistogramValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.durations) {
      let acc = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: DURATION_BUCKETS[i]! }, sharedLabels: s.labels, value: acc, metricName: bucketName, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: Array<Omit<HistogramValue, 'sharedLabels'>>;
    aggregator: string;
  }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }

  /** As prom-client's: every series starts again from nothing, listed once observed again. */
  reset(): void {
    this.series.resetDurations();
  }
}
