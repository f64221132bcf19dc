package dev.lanyard.webhook.inject;

import static dev.lanyard.webhook.inject.TestPods.app;
import static dev.lanyard.webhook.inject.TestPods.container;
import static dev.lanyard.webhook.inject.TestPods.env;
import static dev.lanyard.webhook.inject.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A JVM container's readiness follows its SVID unless the workload decides readiness itself. */
class JavaagentReadinessTest {
  private final PodInjector injector = new PodInjector(TestPods.config());

  private Pod inject(Pod pod) {
    return injector.inject(pod, RequestContext.of(TestPods.NAMESPACE)).pod();
  }

  @Test
  void aJvmContainerWithoutAReadinessProbeGetsOneOnTheJavaagentsHealthPort() {
    Container app = app(inject(TestPods.jvmPod()), "app");

    // 15021 is the sidecar's health port, kept free in every pod: the next one.
    assertThat(env(app, "LANYARD_HEALTH_ADDRESS")).contains("0.0.0.0:15022");
    Probe probe = app.getReadinessProbe();
    assertThat(probe.getHttpGet().getPath()).isEqualTo("/ready");
    assertThat(probe.getHttpGet().getPort().getIntVal()).isEqualTo(15022);
    assertThat(probe.getHttpGet().getHost()).as("the pod IP, where the kubelet probes").isNull();
    assertThat(probe.getPeriodSeconds()).isEqualTo(2);
    assertThat(probe.getFailureThreshold()).isEqualTo(3);
  }

  @Test
  void theApplicationsOwnReadinessProbeIsKeptAndNoHealthPortOpened() {
    Container jvm = container("app", "eclipse-temurin:21");
    Probe own = new ProbeBuilder().withNewTcpSocket().withNewPort(8080).endTcpSocket().build();
    jvm.setReadinessProbe(own);

    Container app = app(inject(pod("orders", jvm)), "app");

    assertThat(app.getReadinessProbe()).isEqualTo(own);
    assertThat(env(app, "LANYARD_HEALTH_ADDRESS")).isEmpty();
  }

  @Test
  void aHealthAddressTheContainerSetItselfIsKeptAndNotProbed() {
    Container jvm = container("app", "eclipse-temurin:21");
    jvm.setEnv(List.of(new EnvVarBuilder().withName("LANYARD_HEALTH_ADDRESS").withValue("off").build()));

    Container app = app(inject(pod("orders", jvm)), "app");

    assertThat(env(app, "LANYARD_HEALTH_ADDRESS")).contains("off");
    assertThat(app.getReadinessProbe()).isNull();
  }

  @Test
  void eachJvmContainerGetsItsOwnHealthPortAroundDeclaredAndAdminPorts() {
    Container first = container("first", "eclipse-temurin:21");
    first.setPorts(List.of(new ContainerPortBuilder().withContainerPort(15022).build()));
    Container second = container("second", "eclipse-temurin:21");

    Pod pod = inject(pod("orders", first, second));

    Map<String, String> health = Map.of(
        "first", env(app(pod, "first"), "LANYARD_HEALTH_ADDRESS").orElseThrow(),
        "second", env(app(pod, "second"), "LANYARD_HEALTH_ADDRESS").orElseThrow());
    assertThat(health).containsEntry("first", "0.0.0.0:15023").containsEntry("second", "0.0.0.0:15024");
    assertThat(env(app(pod, "first"), "LANYARD_ADMIN_ADDRESS")).contains("127.0.0.1:15000");
    assertThat(env(app(pod, "second"), "LANYARD_ADMIN_ADDRESS")).contains("127.0.0.1:15003");
    assertThat(app(pod, "second").getReadinessProbe().getHttpGet().getPort().getIntVal())
        .isEqualTo(15024);
  }
}
