package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What injection did to one pod, as data (after Linkerd's inject report): a {@link Reason} whose
 * code goes to metrics and Event reasons, sentences for people, one entry per app container.
 *
 * @param pod the pod's name, or its generateName followed by {@code *}
 * @param skipReason null when the pod was injected
 * @param summary one sentence: what was injected, or why nothing was
 */
public record InjectionReport(
    String pod,
    String namespace,
    Reason skipReason,
    String summary,
    List<ContainerReport> containers,
    List<InjectionWarning> warnings) {

  private static final String PREFIX = "lanyard: ";

  public InjectionReport {
    containers = List.copyOf(containers);
    warnings = List.copyOf(warnings);
  }

  static InjectionReport skipped(
      String pod,
      String namespace,
      Reason reason,
      String sentence,
      List<ContainerReport> containers,
      List<InjectionWarning> warnings) {
    return new InjectionReport(pod, namespace, reason, sentence, containers, warnings);
  }

  static InjectionReport injected(
      String pod,
      String namespace,
      List<ContainerReport> containers,
      List<InjectionWarning> warnings) {
    String modes =
        containers.stream()
            .filter(c -> c.mode().injected())
            .map(c -> c.name() + "=" + c.mode().wireName())
            .collect(Collectors.joining(", "));
    return new InjectionReport(
        pod, namespace, null, "Lanyard injected " + modes, containers, warnings);
  }

  public boolean injected() {
    return skipReason == null;
  }

  /** Whether the pod must be denied at admission; {@link #summary()} says why. */
  public boolean refused() {
    return skipReason != null && PodOutcomes.refuses(skipReason);
  }

  /** {@link Reason#INJECTED} or why the pod was skipped or refused. */
  public Reason reason() {
    return skipReason == null ? Reason.INJECTED : skipReason;
  }

  /** {@code injected} or the skip reason's code. */
  public String reasonCode() {
    return reason().code();
  }

  public Optional<ContainerReport> container(String name) {
    return containers.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * What the person creating the pod sees ({@code kubectl} prints admission warnings): surprising
   * skips, containers left out against the pod's wishes, and every warning.
   */
  public List<String> admissionWarnings() {
    List<String> out = new ArrayList<>();
    if (skipReason != null && PodOutcomes.surprises(skipReason)) {
      out.add(PREFIX + summary);
    }
    for (ContainerReport container : containers) {
      if (container.mode() == ContainerMode.SKIPPED
          && container.skip() != null
          && container.skip() != Reason.NOT_SELECTED
          && injected()) {
        out.add(PREFIX + container.detail());
      }
    }
    warnings.forEach(warning -> out.add(PREFIX + warning.message()));
    return out;
  }
}
