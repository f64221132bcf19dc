package dev.lanyard.webhook.admission;

import dev.lanyard.reasons.Reason;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * The webhook's Prometheus metrics: admissions by outcome and reason (the report's snake_case
 * codes), admission latency, and what became of Kubernetes Events.
 */
public final class WebhookMetrics {
  /** Outcomes: the first label of {@code lanyard_webhook_admissions_total}. */
  public static final String INJECTED = "injected";

  public static final String SKIPPED = "skipped";

  /** A kind, subresource or operation the webhook does not mutate: allowed unchanged. */
  public static final String IGNORED = "ignored";

  /**
   * A pod denied at admission with the reason: it would allow peers beyond the operator's ceiling,
   * or asks for a port Lanyard's own listeners use.
   */
  public static final String REFUSED = "refused";

  /** Malformed, oversized or wrongly typed requests (HTTP 400 or 415). */
  public static final String REJECTED = "rejected";

  /** A bug in injection: the pod was allowed uninjected, with a warning. */
  public static final String ERROR = "error";

  /**
   * Upper bounds (seconds) of the latency histogram: 1 ms steps from 1 to 6 ms, where a healthy
   * admission falls (the target is a p99 of at most 5 ms), so a p99 is read to the millisecond
   * rather than as "somewhere in 2.5-5 ms"; coarse above, up to the apiserver's 1-30 s timeout
   * range. 15 bounds times 6 outcomes: 96 series with +Inf, cheap for Prometheus.
   */
  static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1
  };

  private final PrometheusRegistry registry;
  private final Counter admissions;
  private final Histogram latency;
  private final Counter events;

  public WebhookMetrics() {
    this(new PrometheusRegistry());
  }

  public WebhookMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    this.admissions =
        Counter.builder()
            .name("lanyard_webhook_admissions_total")
            .help(
                "Admission requests by outcome (injected, skipped, refused, ignored, rejected, error)"
                    + " and reason code")
            .labelNames("outcome", "reason")
            .register(registry);
    this.latency =
        Histogram.builder()
            .name("lanyard_webhook_admission_duration_seconds")
            .help("Time from a complete request body to the response, by outcome")
            .unit(Unit.SECONDS)
            .labelNames("outcome")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .register(registry);
    this.events =
        Counter.builder()
            .name("lanyard_webhook_events_total")
            .help("Kubernetes Events about injection, by result (sent, failed, dropped, no_owner,"
                    + " unconfirmed_owner)")
            .labelNames("result")
            .register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void admission(String outcome, Reason reason, long nanos) {
    admissions.labelValues(outcome, reason.code()).inc();
    latency.labelValues(outcome).observe(nanos / 1e9);
  }

  public void event(String result) {
    events.labelValues(result).inc();
  }

  /** How many Events had this result (sent, unconfirmed_owner, ...). */
  public double events(String result) {
    return events.labelValues(result).get();
  }

  /** For tests: how many admissions had this outcome and reason. */
  public double admissions(String outcome, String reason) {
    return admissions.labelValues(outcome, reason).get();
  }
}
