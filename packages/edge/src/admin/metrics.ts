// The edge's counters and gauges, per route and backend, rendered in the Prometheus text format.

export type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly series: Map<string, { labels: Labels; value: number }>;
}

const FAMILIES = {
  trc_edge_route_connections_total: ['counter', 'Client connections accepted by a route.'],
  trc_edge_route_connections_active: ['gauge', 'Client connections a route holds open.'],
  trc_edge_route_connections_rejected_total: ['counter', 'Client connections closed at once: reason="limit" (max_connections reached) or "no_backend" (no healthy backend could be reached).'],
  trc_edge_backend_connections_total: ['counter', 'Connections forwarded to a backend.'],
  trc_edge_backend_connections_active: ['gauge', 'Forwarded connections open to a backend.'],
  trc_edge_backend_bytes_in_total: ['counter', 'Bytes from clients forwarded to a backend (PROXY headers excluded).'],
  trc_edge_backend_bytes_out_total: ['counter', 'Bytes from a backend forwarded to clients.'],
  trc_edge_backend_connect_failures_total: ['counter', 'Failed or timed-out connection attempts to a backend.'],
  trc_edge_backend_health_transitions_total: ['counter', 'Health changes of a backend, by the state entered (to="healthy"|"unhealthy").'],
  trc_edge_backend_healthy: ['gauge', '1 when a backend receives new connections, 0 when it is unhealthy or draining.'],
} as const;

export type MetricName = keyof typeof FAMILIES;

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A small registry: every family is declared above, so a typo in a metric name is a type error. */
export class EdgeMetrics {
  readonly #families = new Map<MetricName, Family>();

  constructor() {
    for (const [name, [type, help]] of Object.entries(FAMILIES)) this.#families.set(name as MetricName, { type, help, series: new Map() });
  }

  add(name: MetricName, labels: Labels, delta = 1): void {
    const s = this.#series(name, labels);
    s.value += delta;
  }

  set(name: MetricName, labels: Labels, value: number): void {
    this.#series(name, labels).value = value;
  }

  get(name: MetricName, labels: Labels): number {
    return this.#families.get(name)!.series.get(labelKey(labels))?.value ?? 0;
  }

  /** Drops a gauge series whose subject is gone; counters are kept so rates stay right. */
  remove(name: MetricName, labels: Labels): void {
    this.#families.get(name)!.series.delete(labelKey(labels));
  }

  /** Drops every gauge series of a route that is gone. */
  dropGauges(route: string): void {
    for (const f of this.#families.values()) {
      if (f.type !== 'gauge') continue;
      for (const [key, s] of f.series) if (s.labels.route === route) f.series.delete(key);
    }
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [key, s] of f.series) out.push(`${name}${key === '' ? '' : `{${key}}`} ${s.value}`);
    }
    return `${out.join('\n')}\n`;
  }

  #series(name: MetricName, labels: Labels): { labels: Labels; value: number } {
    const f = this.#families.get(name)!;
    const key = labelKey(labels);
    let s = f.series.get(key);
    if (s === undefined) {
      s = { labels, value: 0 };
      f.series.set(key, s);
    }
    return s;
  }
}
