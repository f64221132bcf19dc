package dev.lanyard.webhook.admission;

import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.PodOutcomes;
import dev.lanyard.webhook.inject.InjectorConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events ({@code Injected}, {@code InjectionSkipped}) on the pod's owner: at admission
 * the pod has no uid yet, often not even a name, but its ReplicaSet, Job or StatefulSet exists, and
 * a ReplicaSet's Deployment is where people look ({@code kubectl describe deploy}).
 *
 * <p>Best effort and never on the admission path: one background thread, a bounded queue that drops
 * (and counts) when full, failures logged once per event. Pods without an owner get no Event (their
 * admission warnings reach whoever created them).
 *
 * <p>Only on an owner the API server confirms ({@link OwnerConfirmation}): {@code /mutate} cannot
 * tell the API server from any other client that reaches it, so a review's namespace and owner
 * are claims until read back. An unconfirmed owner gets no Event, one log line and the metric
 * {@code lanyard_webhook_events_total{result="unconfirmed_owner"}}.
 */
public final class OwnerEvents implements InjectionEvents, AutoCloseable {
  static final String INJECTED = "Injected";
  static final String SKIPPED = "InjectionSkipped";
  static final String REFUSED = "InjectionRefused";
  private static final String COMPONENT = "lanyard-webhook";
  private static final int MAX_MESSAGE = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(OwnerEvents.class);

  private final KubernetesClient client;
  private final OwnerConfirmation confirmation;
  private final WebhookMetrics metrics;
  private final Clock clock;
  private final ThreadPoolExecutor executor;

  /**
   * @param namespaceLabel the label of namespaces selected for injection: Events go only there
   * @param webhookNamespace never injected, so never an Event
   */
  public OwnerEvents(
      KubernetesClient client,
      WebhookMetrics metrics,
      Clock clock,
      InjectorConfig.NamespaceLabel namespaceLabel,
      String webhookNamespace) {
    this.client = client;
    this.confirmation = new OwnerConfirmation(client, namespaceLabel, webhookNamespace);
    this.metrics = metrics;
    this.clock = clock;
    this.executor =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1000),
            runnable -> {
              Thread thread = new Thread(runnable, "lanyard-events");
              thread.setDaemon(true);
              return thread;
            },
            (runnable, pool) -> metrics.event("dropped"));
  }

  @Override
  public void record(Pod pod, InjectionReport report) {
    if (!report.injected() && !PodOutcomes.surprises(report.skipReason())) {
      return; // opted out or re-admitted: what the owner asked for, not news
    }
    Optional<OwnerReference> owner = controllerOf(pod);
    if (owner.isEmpty() || report.namespace() == null || report.namespace().isEmpty()) {
      metrics.event("no_owner");
      return;
    }
    executor.execute(() -> send(report, owner.get()));
  }

  private void send(InjectionReport report, OwnerReference owner) {
    try {
      OwnerConfirmation.Result confirmed = confirmation.confirm(report.namespace(), owner);
      if (confirmed.involved().isEmpty()) {
        metrics.event("unconfirmed_owner");
        LOG.warn(
            "no {} Event for pod {}: its owner {} {}/{} is not confirmed by the API server ({});"
                + " was this review posted by someone other than the API server?",
            report.reasonCode(),
            printable(report.pod()),
            printable(owner.getKind()),
            printable(report.namespace()),
            printable(owner.getName()),
            printable(confirmed.problem()));
        return;
      }
      client
          .v1()
          .events()
          .inNamespace(report.namespace())
          .resource(event(report, confirmed.involved().get()))
          .create();
      metrics.event("sent");
    } catch (RuntimeException e) {
      metrics.event("failed");
      LOG.warn(
          "cannot record {} Event on {}/{} in namespace {}: {} (may the webhook's service"
              + " account get the owner and create events?)",
          report.reasonCode(),
          owner.getKind(),
          owner.getName(),
          report.namespace(),
          e.getMessage());
    }
  }

  Event event(InjectionReport report, ObjectReference involved) {
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    String message =
        report.injected()
            ? report.summary() + " into pod " + report.pod()
            : reason(report) + " (" + report.reasonCode() + "): " + report.summary();
    if (!report.warnings().isEmpty()) {
      message +=
          "; warnings: "
              + String.join("; ", report.warnings().stream().map(w -> w.message()).toList());
    }
    if (message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE - 3) + "...";
    }
    return new EventBuilder()
        .withNewMetadata()
        .withGenerateName(involved.getName() + ".lanyard-")
        .withNamespace(report.namespace())
        .endMetadata()
        .withInvolvedObject(involved)
        .withReason(reason(report))
        .withMessage(message)
        .withType(report.injected() ? "Normal" : "Warning")
        .withNewSource()
        .withComponent(COMPONENT)
        .endSource()
        .withReportingComponent(COMPONENT)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .build();
  }

  /**
   * A forged review's names reach this log line unvalidated: no control characters (a newline
   * would forge a log line of its own), at most 300 characters.
   */
  static String printable(String text) {
    if (text == null) {
      return "null";
    }
    String clean = text.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 300 ? clean.substring(0, 300) + "..." : clean;
  }

  private static String reason(InjectionReport report) {
    return report.injected() ? INJECTED : report.refused() ? REFUSED : SKIPPED;
  }

  static Optional<OwnerReference> controllerOf(Pod pod) {
    if (pod.getMetadata() == null || pod.getMetadata().getOwnerReferences() == null) {
      return Optional.empty();
    }
    List<OwnerReference> owners = pod.getMetadata().getOwnerReferences();
    return owners.stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()))
        .findFirst()
        .or(() -> owners.stream().findFirst())
        .filter(o -> o.getKind() != null && o.getName() != null);
  }

  /** Sends what is queued (waiting at most five seconds), then stops the thread. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
