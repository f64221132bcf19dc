package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import java.util.EnumSet;
import java.util.Set;

/**
 * The webhook's rules over the {@link Reason}s a pod is left alone for: which deny the pod and
 * which the person creating it hears about. The reasons are shared data; what admission does with
 * them is the webhook's own decision, so it lives here.
 */
public final class PodOutcomes {
  /**
   * Denied, never created: outside the operator's ceiling ({@link PeerCeiling}) would run without
   * the operator's policy; a Lanyard port ({@link LanyardPorts}) would run half-working or expose a
   * Lanyard listener; a value the workload refuses at start would crash-loop or run uninjected.
   */
  private static final Set<Reason> REFUSALS =
      EnumSet.of(Reason.OUTSIDE_CEILING, Reason.LANYARD_PORT, Reason.INVALID_WORKLOAD_VALUE);

  /**
   * Skips the person asked for (opting out, re-admission of an injected pod): no admission
   * warning, no noise.
   */
  private static final Set<Reason> EXPECTED = EnumSet.of(Reason.OPTED_OUT, Reason.ALREADY_INJECTED);

  private PodOutcomes() {}

  /** Whether admission denies the pod (with the report's summary) instead of allowing it as is. */
  public static boolean refuses(Reason skip) {
    return REFUSALS.contains(skip);
  }

  /** Whether the person creating the pod should hear about the skip (an admission warning). */
  public static boolean surprises(Reason skip) {
    return !EXPECTED.contains(skip);
  }
}
