package dev.lanyard.tls;

/**
 * Receives every authorization decision the trust manager makes (metrics, audit records, recent
 * peers, session policy). Called on the handshake thread: must be quick. An exception thrown here
 * is caught and never changes the decision.
 */
public interface DecisionListener {
  void onDecision(PeerDecision decision);
}
