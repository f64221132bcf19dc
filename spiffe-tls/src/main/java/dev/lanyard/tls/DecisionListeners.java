package dev.lanyard.tls;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Fans a decision out to several listeners; one listener's failure never reaches the handshake. */
public final class DecisionListeners implements DecisionListener {
  private final List<DecisionListener> listeners = new CopyOnWriteArrayList<>();

  public DecisionListeners add(DecisionListener listener) {
    listeners.add(listener);
    return this;
  }

  @Override
  public void onDecision(PeerDecision decision) {
    for (DecisionListener listener : listeners) {
      try {
        listener.onDecision(decision);
      } catch (RuntimeException e) {
        LanyardLog.debug("decision listener " + listener.getClass().getName() + " failed: " + e);
      }
    }
  }
}
