package dev.lanyard.tls;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lanyard's Prometheus metrics, in a registry of its own (never the application's default one):
 *
 * <ul>
 *   <li>{@code lanyard_handshakes_total{outcome}}: peer verifications by outcome ({@code allowed},
 *       {@code denied}, {@code would_deny}); resumed sessions are not verified again;
 *   <li>{@code lanyard_denials_total{peer_spiffe_id}}: refusals by verified peer ID ({@code
 *       none} for a peer without a SPIFFE ID, {@code unverified} for an invalid SVID's claim, so
 *       that peers cannot create label values at will);
 *   <li>{@code lanyard_refusals_total{direction,reason}}: refusals by direction and by the rule
 *       that decided ({@link PeerDecision#rule()}: a {@code dev.lanyard.reasons.Reason} or {@link
 *       InvalidSvidException.Reason} code, a bounded set), without the peer's ID;
 *   <li>{@code lanyard_rotations_total}: SVID rotations seen;
 *   <li>{@code lanyard_svid_updates_rejected_total{reason}}: Workload API updates rejected (the
 *       last good SVID kept), by {@link InvalidSvidException.Reason} code; every reason is
 *       exported from the start at 0, so that {@code increase()} and alerts see the first one;
 *   <li>{@code lanyard_svid_expiry_seconds}: seconds until the held SVID expires (absent before
 *       the first SVID; negative once expired).
 * </ul>
 *
 * <p>The metrics port ({@code LANYARD_METRICS_ADDRESS}, on the pod network for Prometheus) serves
 * {@link #writePublicTo} : every metric but those whose labels name peers ({@link
 * #NAMES_PEERS}); who the workload talks to stays on the loopback admin endpoint.
 */
public final class LanyardMetrics implements DecisionListener {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  /** Metrics whose label values are peers' SPIFFE IDs: admin endpoint only, never the metrics port. */
  static final Set<String> NAMES_PEERS = Set.of("lanyard_denials_total");

  private final Counter handshakes;
  private final Counter denials;
  private final Counter refusals;

  public LanyardMetrics(SvidSource source, Clock clock) {
    handshakes = Counter.builder()
        .name("lanyard_handshakes_total")
        .help("TLS peer verifications by outcome")
        .labelNames("outcome")
        .register(registry);
    for (PeerDecision.Outcome outcome : PeerDecision.Outcome.values()) {
      handshakes.initLabelValues(outcome.label());
    }
    denials = Counter.builder()
        .name("lanyard_denials_total")
        .help("TLS peers refused, by peer SPIFFE ID")
        .labelNames("peer_spiffe_id")
        .register(registry);
    refusals = Counter.builder()
        .name("lanyard_refusals_total")
        .help("Peers and requests refused, by direction and by the rule that refused them")
        .labelNames("direction", "reason")
        .register(registry);
    CounterWithCallback.builder()
        .name("lanyard_rotations_total")
        .help("X.509-SVID rotations received from the Workload API")
        .callback(callback -> callback.call(source.rotationCount()))
        .register(registry);
    CounterWithCallback.builder()
        .name("lanyard_svid_updates_rejected_total")
        .help("X.509-SVID updates from the Workload API rejected (the last good SVID kept), by reason")
        .labelNames("reason")
        .callback(callback -> rejectedByEveryReason(source.rejectedUpdates())
            .forEach((reason, count) -> callback.call(count, reason)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("lanyard_svid_expiry_seconds")
        .help("Seconds until the held X.509-SVID expires")
        .callback(callback -> source.current().ifPresent(identity -> callback.call(
            Duration.between(clock.instant(), identity.notAfter()).toMillis() / 1000.0)))
        .register(registry);
  }

  /**
   * Every reason code at 0, then the counts so far: a series that first appears at 1 hides that
   * first rejection from {@code rate()} and {@code increase()}.
   */
  static Map<String, Long> rejectedByEveryReason(Map<String, Long> counts) {
    Map<String, Long> all = new TreeMap<>();
    for (InvalidSvidException.Reason reason : InvalidSvidException.Reason.values()) {
      all.put(reason.code(), 0L);
    }
    all.putAll(counts);
    return all;
  }

  @Override
  public void onDecision(PeerDecision decision) {
    handshakes.labelValues(decision.outcome().label()).inc();
    if (decision.outcome() == PeerDecision.Outcome.DENIED) {
      denials.labelValues(denialLabel(decision)).inc();
      refusals.labelValues(decision.direction().label(), decision.rule()).inc();
    }
  }

  /** A peer refused our SVID ({@link RefusedByPeer}): a refusal, outbound, by its likely cause. */
  void onRefusedByPeer(PeerDecision decision) {
    refusals.labelValues(decision.direction().label(), decision.rule()).inc();
  }

  /** Verified IDs only: an invalid certificate's claimed ID is attacker-chosen (unbounded labels). */
  private static String denialLabel(PeerDecision decision) {
    if (decision.peerIdVerified()) {
      return decision.peerSpiffeId().get();
    }
    return decision.peerSpiffeId().isPresent() ? "unverified" : "none";
  }

  /**
   * The registry {@code /metrics} exposes, for metrics of the process embedding Lanyard (the
   * sidecar's connection metrics); never the application's default registry.
   */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Writes the Prometheus text exposition format. */
  public void writeTo(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }

  /**
   * Writes every metric but {@link #NAMES_PEERS}: what the metrics port serves to the pod network
   * (counts, reasons and expiry, no peer identities).
   */
  public void writePublicTo(OutputStream out) throws IOException {
    // A counter is offered by its base name (without _total) or its full one, by version.
    writer.write(out, registry.scrape(
        name -> !NAMES_PEERS.contains(name) && !NAMES_PEERS.contains(name + "_total")));
  }

  public String contentType() {
    return writer.getContentType();
  }
}
