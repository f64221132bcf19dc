package dev.lanyard.webhook.inject;

/**
 * Why a whole pod was left alone. The code is snake_case (a metric label, an Event reason suffix);
 * the sentence for people is built where the skip is decided, with the values involved.
 */
public enum SkipReason {
  OPTED_OUT("opted_out", false),
  HOST_NETWORK("host_network", true),
  SYSTEM_NAMESPACE("system_namespace", true),
  WEBHOOK_NAMESPACE("webhook_namespace", true),
  ALREADY_INJECTED("already_injected", false),
  INVALID_ANNOTATION("invalid_annotation", true),
  NAME_CONFLICT("name_conflict", true),
  UNSUPPORTED_OS("unsupported_os", true),
  /** Not a valid pod (the apiserver refuses it after admission); nothing sensible to add. */
  INVALID_POD("invalid_pod", true),
  NOTHING_TO_INJECT("nothing_to_inject", true),
  /**
   * The pod would allow peers beyond the operator's ceiling ({@link PeerCeiling}): not skipped but
   * refused, since running it uninjected would also run it without the policy the operator set.
   */
  OUTSIDE_CEILING("outside_ceiling", true, true),
  /**
   * Something the pod asks for lands on a port Lanyard's own listeners use ({@link LanyardPorts}):
   * the pod is refused at admission, never created half-working or with a Lanyard port exposed.
   */
  LANYARD_PORT("lanyard_port", true, true),
  /**
   * An annotation carries a value the javaagent or the sidecar would refuse at start (lanyard-config
   * judges it): the pod is refused at admission with the workload's own message, never created to
   * crash-loop or run uninjected.
   */
  INVALID_WORKLOAD_VALUE("invalid_workload_value", true, true);

  private final String code;
  private final boolean surprising;
  private final boolean refused;

  SkipReason(String code, boolean surprising) {
    this(code, surprising, false);
  }

  SkipReason(String code, boolean surprising, boolean refused) {
    this.code = code;
    this.surprising = surprising;
    this.refused = refused;
  }

  /** Whether admission denies the pod (with the report's summary) instead of allowing it as is. */
  public boolean refused() {
    return refused;
  }

  public String code() {
    return code;
  }

  /**
   * Whether the person creating the pod should hear about it (an admission warning). Opting out and
   * re-admission of an injected pod are what the user asked for: no noise.
   */
  public boolean surprising() {
    return surprising;
  }
}
