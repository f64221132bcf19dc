package dev.lanyard.tls;

import dev.lanyard.reasons.Reason;
import io.prometheus.metrics.core.metrics.Counter;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Plaintext connections on ports whose plain listener Lanyard upgraded to mTLS
 * ({@code LANYARD_UPGRADE_INBOUND}): counted per port, source address and result in {@code
 * lanyard_plaintext_connections_total}, the figure that tells an operator when a permissive port
 * can go strict, and recorded as {@code plaintext.accept} audit records (a strict refusal at
 * {@code LANYARD_AUDIT=deny}, a permissive one at {@code all}).
 */
public final class PlaintextConnections {
  /** The audit record's {@code action} inbound. */
  public static final String ACTION = "plaintext.accept";
  /** The audit record's {@code action} outbound. */
  public static final String OUTBOUND_ACTION = "plaintext.connect";

  private final Counter connections;
  private final Counter outbound;
  private final DecisionListener audit;
  private final Supplier<Optional<String>> localSpiffeId;

  public PlaintextConnections(LanyardMetrics metrics, DecisionListener audit,
      Supplier<Optional<String>> localSpiffeId) {
    this.connections = Counter.builder()
        .name("lanyard_plaintext_connections_total")
        .help("Plaintext connections on ports upgraded to mTLS, by port, source address and"
            + " result (allowed on a permissive port, denied on a strict one)")
        .labelNames("port", "source", "result")
        .register(metrics.registry());
    this.outbound = Counter.builder()
        .name("lanyard_plaintext_outbound_total")
        .help("Calls to mesh destinations of LANYARD_UPGRADE_OUTBOUND that did not complete a TLS"
            + " handshake, by destination and result (allowed: sent in clear text on a permissive"
            + " port; denied: not sent on a strict one)")
        .labelNames("destination", "result")
        .register(metrics.registry());
    this.audit = audit;
    this.localSpiffeId = localSpiffeId;
  }

  /**
   * Records one plaintext connection from {@code source} (an IP address) at {@code sourcePort} to
   * the local {@code port}; {@code allowed}: permissive, else strict. Returns the decision, whose
   * {@link PeerDecision#reason()} is the sentence to show.
   */
  public PeerDecision record(int port, String source, int sourcePort, boolean allowed) {
    PeerDecision.Outcome outcome = allowed ? PeerDecision.Outcome.ALLOWED
        : PeerDecision.Outcome.DENIED;
    connections.labelValues(Integer.toString(port), source, outcome.label()).inc();
    String reason = allowed
        ? "plaintext connection from " + source + " to port " + port + " served: the port is"
            + " permissive (LANYARD_UPGRADE_INBOUND), mTLS and plaintext both accepted"
        : "plaintext connection from " + source + " to port " + port + " refused: the port is"
            + " strict (LANYARD_UPGRADE_INBOUND), only mTLS with an X.509-SVID is served; call it"
            + " from a workload with Lanyard, or set " + port + "=permissive while migrating";
    PeerDecision decision = PeerDecision.builder(Direction.INBOUND, outcome)
        .action(ACTION)
        .local(localSpiffeId.get().orElse(null))
        .rule(allowed ? Reason.PLAINTEXT_PERMISSIVE : Reason.PLAINTEXT_STRICT)
        .reason(reason)
        .peerAddress(source + ":" + sourcePort)
        .build();
    audit.onDecision(decision);
    return decision;
  }

  /**
   * Records one call to the mesh destination {@code host:port} whose server did not complete a TLS
   * handshake ({@code why}): {@code allowed}, sent in clear text (permissive), else not sent.
   */
  public PeerDecision recordOutbound(String host, int port, boolean allowed, String why) {
    PeerDecision.Outcome outcome = allowed ? PeerDecision.Outcome.ALLOWED
        : PeerDecision.Outcome.DENIED;
    String destination = host + ":" + port;
    outbound.labelValues(destination, outcome.label()).inc();
    String reason = allowed
        ? "call to " + destination + " sent in clear text: the server did not complete a TLS"
            + " handshake (" + why + ") and the port is permissive (LANYARD_UPGRADE_OUTBOUND); an"
            + " on-path attacker can force this downgrade, set " + port + "=strict once the"
            + " destination has Lanyard"
        : "call to " + destination + " refused: the server did not complete a TLS handshake ("
            + why + ") and the port is strict (LANYARD_UPGRADE_OUTBOUND), so it is never called"
            + " in clear text; give the destination Lanyard, or set " + port + "=permissive while"
            + " migrating";
    PeerDecision decision = PeerDecision.builder(Direction.OUTBOUND, outcome)
        .action(OUTBOUND_ACTION)
        .local(localSpiffeId.get().orElse(null))
        .rule(allowed ? Reason.PLAINTEXT_FALLBACK : Reason.PLAINTEXT_REFUSED)
        .reason(reason)
        .peerAddress(destination)
        .build();
    audit.onDecision(decision);
    return decision;
  }
}
