package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.inject.ContainerMode;
import dev.lanyard.webhook.inject.ContainerReport;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.InjectionWarning;

/** Injection reports as text for people (the CLI's output). */
final class Explanations {
  private Explanations() {}

  /** A few lines: the verdict, each container with its mode and why, each warning. */
  static String explain(String object, InjectionReport report, boolean alreadyHappened) {
    StringBuilder out = new StringBuilder();
    String namespace = report.namespace() == null ? "" : " (namespace " + report.namespace() + ")";
    if (report.injected()) {
      out.append(object)
          .append(namespace)
          .append(alreadyHappened ? ": injected\n" : ": would be injected\n");
    } else {
      out.append(object)
          .append(namespace)
          .append(
              report.refused()
                  ? (alreadyHappened ? ": refused: " : ": would be refused by the webhook: ")
                  : (alreadyHappened ? ": not injected: " : ": would NOT be injected: "))
          .append(report.reasonCode())
          .append("\n  ")
          .append(report.summary())
          .append('\n');
    }
    for (ContainerReport container : report.containers()) {
      out.append("  container ")
          .append(container.name())
          .append(": ")
          .append(container.mode().wireName());
      if (container.mode() == ContainerMode.SKIPPED) {
        out.append(" (").append(container.skipCode()).append("): ").append(container.detail());
      } else {
        out.append(", runtime ").append(container.runtime());
      }
      out.append('\n');
    }
    for (InjectionWarning warning : report.warnings()) {
      out.append("  warning (")
          .append(warning.code())
          .append("): ")
          .append(warning.message())
          .append('\n');
    }
    return out.toString();
  }
}
