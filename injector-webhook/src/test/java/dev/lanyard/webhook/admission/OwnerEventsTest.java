package dev.lanyard.webhook.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.RequestContext;
import dev.lanyard.webhook.inject.TestPods;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class OwnerEventsTest {
  private final OwnerEvents events =
      new OwnerEvents(
          null,
          new WebhookMetrics(),
          Clock.fixed(Instant.parse("2025-06-01T10:00:00.5Z"), ZoneOffset.UTC),
          TestPods.config().namespaceLabel(),
          TestPods.config().webhookNamespace());

  @Test
  void theControllerOwnerIsWhereTheEventGoes() {
    Pod pod =
        new PodBuilder(TestPods.jvmPod())
            .editMetadata()
            .addNewOwnerReference()
            .withKind("Node")
            .withName("n1")
            .withController(false)
            .endOwnerReference()
            .addNewOwnerReference()
            .withKind("ReplicaSet")
            .withName("web-1")
            .withController(true)
            .endOwnerReference()
            .endMetadata()
            .build();

    assertThat(OwnerEvents.controllerOf(pod))
        .hasValueSatisfying(owner -> assertThat(owner.getName()).isEqualTo("web-1"));
    assertThat(OwnerEvents.controllerOf(TestPods.jvmPod())).isEmpty();
  }

  @Test
  void anInjectedEventSaysWhatWasInjectedIntoWhichPod() {
    InjectionReport report =
        new PodInjector(TestPods.config())
            .inject(TestPods.jvmPod(), RequestContext.of("apps"))
            .report();

    Event event =
        events.event(
            report,
            new ObjectReferenceBuilder()
                .withKind("Deployment")
                .withName("orders")
                .withNamespace("apps")
                .build());

    assertThat(event.getReason()).isEqualTo("Injected");
    assertThat(event.getType()).isEqualTo("Normal");
    assertThat(event.getMessage()).isEqualTo("Lanyard injected app=javaagent into pod orders");
    assertThat(event.getMetadata().getGenerateName()).isEqualTo("orders.lanyard-");
    assertThat(event.getFirstTimestamp()).isEqualTo("2025-06-01T10:00:00Z");
  }

  @Test
  void aSkipIsAWarningEventWithTheReasonCode() {
    Pod hostNetwork =
        new PodBuilder(TestPods.jvmPod()).editSpec().withHostNetwork(true).endSpec().build();
    InjectionReport report =
        new PodInjector(TestPods.config()).inject(hostNetwork, RequestContext.of("apps")).report();

    Event event =
        events.event(
            report,
            new ObjectReferenceBuilder()
                .withKind("DaemonSet")
                .withName("agent")
                .withNamespace("apps")
                .build());

    assertThat(event.getReason()).isEqualTo("InjectionSkipped");
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getMessage()).startsWith("InjectionSkipped (host_network): ");
  }

  @Test
  void namesFromAReviewReachTheLogWithoutControlCharacters() {
    assertThat(OwnerEvents.printable("web\n2026-12-07 INFO forged line\r"))
        .isEqualTo("web?2026-12-07 INFO forged line?");
    assertThat(OwnerEvents.printable("x".repeat(400))).hasSize(303).endsWith("...");
  }
}
