package dev.lanyard.webhook.inject;

import static dev.lanyard.webhook.inject.TestPods.app;
import static dev.lanyard.webhook.inject.TestPods.container;
import static dev.lanyard.webhook.inject.TestPods.env;
import static dev.lanyard.webhook.inject.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.config.AppProbe;
import dev.lanyard.config.AppProbes;
import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Probes of strict upgraded ports move to the javaagent's health port; everything else stays. */
class ProbeRewriteTest {
  private final PodInjector injector = new PodInjector(TestPods.config());

  private InjectionResult inject(Pod pod) {
    return injector.inject(pod, RequestContext.of(TestPods.NAMESPACE));
  }

  private static Container jvm(String upgrade) {
    Container jvm = container("app", "eclipse-temurin:21");
    jvm.setPorts(new ArrayList<>(List.of(
        new ContainerPortBuilder().withName("http").withContainerPort(8080).build(),
        new ContainerPortBuilder().withName("admin").withContainerPort(9000).build())));
    jvm.setEnv(new ArrayList<>(List.of(
        new EnvVarBuilder().withName("LANYARD_UPGRADE_INBOUND").withValue(upgrade).build())));
    return jvm;
  }

  private static Probe httpGet(Object port, String path) {
    ProbeBuilder probe = new ProbeBuilder()
        .withInitialDelaySeconds(4).withPeriodSeconds(7).withTimeoutSeconds(3)
        .withSuccessThreshold(1).withFailureThreshold(5);
    return (port instanceof Integer
        ? probe.withNewHttpGet().withPath(path).withNewPort((Integer) port)
        : probe.withNewHttpGet().withPath(path).withNewPort((String) port))
        .addNewHttpHeader("X-Probe", "kubelet").endHttpGet().build();
  }

  private static Probe tcp(Object port) {
    ProbeBuilder probe = new ProbeBuilder().withPeriodSeconds(11);
    return (port instanceof Integer
        ? probe.withNewTcpSocket().withNewPort((Integer) port)
        : probe.withNewTcpSocket().withNewPort((String) port)).endTcpSocket().build();
  }

  @Test
  void numberedAndNamedProbesOfAStrictPortGoToTheHealthPortWithTheOriginalsInTheEnv() {
    Container jvm = jvm("8080=strict,*=permissive");
    jvm.setReadinessProbe(httpGet(8080, "/health?deep=1"));
    jvm.setLivenessProbe(tcp("http"));
    jvm.setStartupProbe(httpGet("http", "/started"));

    InjectionResult result = inject(pod("orders", jvm));
    Container app = app(result.pod(), "app");

    // The container has its own readiness probe, so it gets the health port for the rewrite only.
    assertThat(env(app, "LANYARD_HEALTH_ADDRESS")).contains("0.0.0.0:15022");
    Probe readiness = app.getReadinessProbe();
    assertThat(readiness.getHttpGet().getPath()).isEqualTo("/app-health/app/readyz");
    assertThat(readiness.getHttpGet().getPort().getIntVal()).isEqualTo(15022);
    assertThat(readiness.getHttpGet().getScheme()).isEqualTo("HTTP");
    assertThat(readiness.getHttpGet().getHttpHeaders()).as("they went to the original").isNullOrEmpty();
    assertThat(readiness.getHttpGet().getHost()).isNull();
    assertThat(List.of(readiness.getInitialDelaySeconds(), readiness.getPeriodSeconds(),
        readiness.getTimeoutSeconds(), readiness.getSuccessThreshold(),
        readiness.getFailureThreshold())).containsExactly(4, 7, 3, 1, 5);
    assertThat(app.getLivenessProbe().getTcpSocket()).isNull();
    assertThat(app.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/app-health/app/livez");
    assertThat(app.getLivenessProbe().getPeriodSeconds()).isEqualTo(11);
    assertThat(app.getStartupProbe().getHttpGet().getPath()).isEqualTo("/app-health/app/startupz");

    AppProbes originals = AppProbes.parse(env(app, "LANYARD_APP_PROBES").orElseThrow());
    assertThat(originals.asMap()).containsExactly(
        java.util.Map.entry("/app-health/app/livez", AppProbe.tcpSocket(8080, 1)),
        java.util.Map.entry("/app-health/app/readyz", AppProbe.httpGet(8080, "/health?deep=1",
            List.of(AppProbe.header("X-Probe", "kubelet")), 3)),
        java.util.Map.entry("/app-health/app/startupz", AppProbe.httpGet(8080, "/started",
            List.of(AppProbe.header("X-Probe", "kubelet")), 3)));
    assertThat(result.report().warnings()).isEmpty();
  }

  @Test
  void aContainerWithoutProbesOfItsOwnKeepsLanyardsReadinessUntouched() {
    Container jvm = jvm("*=strict");
    jvm.setLivenessProbe(tcp(8080));

    Container app = app(inject(pod("orders", jvm)).pod(), "app");

    assertThat(app.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
    assertThat(app.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15022);
    assertThat(app.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/app-health/app/livez");
    assertThat(app.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15022);
    assertThat(env(app, "LANYARD_APP_PROBES"))
        .contains("{\"/app-health/app/livez\":{\"tcpSocket\":{\"port\":8080},\"timeoutSeconds\":1}}");
  }

  @Test
  void probesOfPortsThatAreNotStrictExecProbesAndExplicitHostsStayAsWritten() {
    Container jvm = jvm("8080=strict,9000=permissive");
    Probe permissive = httpGet("admin", "/health");
    Probe exec = new ProbeBuilder().withNewExec().withCommand("true").endExec().build();
    Probe otherHost = new ProbeBuilder().withNewTcpSocket().withHost("10.0.0.9")
        .withNewPort(8080).endTcpSocket().build();
    jvm.setReadinessProbe(permissive);
    jvm.setLivenessProbe(exec);
    jvm.setStartupProbe(otherHost);
    Probe[] before = {new ProbeBuilder(permissive).build(), new ProbeBuilder(exec).build(),
        new ProbeBuilder(otherHost).build()};

    InjectionResult result = inject(pod("orders", jvm));
    Container app = app(result.pod(), "app");

    assertThat(app.getReadinessProbe()).isEqualTo(before[0]);
    assertThat(app.getLivenessProbe()).isEqualTo(before[1]);
    assertThat(app.getStartupProbe()).isEqualTo(before[2]);
    assertThat(env(app, "LANYARD_APP_PROBES")).isEmpty();
    assertThat(env(app, "LANYARD_HEALTH_ADDRESS")).as("it has its own readiness probe").isEmpty();
    assertThat(result.report().warnings()).isEmpty();
  }

  @Test
  void withoutAnUpgradeNothingMoves() {
    Container jvm = container("app", "eclipse-temurin:21");
    jvm.setLivenessProbe(tcp(8080));

    Container app = app(inject(pod("orders", jvm)).pod(), "app");

    assertThat(app.getLivenessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(8080);
    assertThat(env(app, "LANYARD_APP_PROBES")).isEmpty();
  }

  @Test
  void theAnnotationFalseOptsOut() {
    Container jvm = jvm("8080=strict");
    jvm.setLivenessProbe(tcp(8080));
    Pod pod = pod("orders", jvm);
    pod.getMetadata().setAnnotations(new java.util.HashMap<>(
        java.util.Map.of("lanyard.dev/rewrite-probes", "false")));

    Container app = app(inject(pod).pod(), "app");

    assertThat(app.getLivenessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(8080);
    assertThat(env(app, "LANYARD_APP_PROBES")).isEmpty();
  }

  @Test
  void grpcProbesOfAStrictPortGoToTheHealthPortWithTheirServiceInTheEnv() {
    Container jvm = jvm("9090=strict,8080=permissive");
    jvm.setLivenessProbe(new ProbeBuilder().withNewGrpc().withPort(9090).endGrpc()
        .withInitialDelaySeconds(2).withPeriodSeconds(9).withTimeoutSeconds(4)
        .withSuccessThreshold(1).withFailureThreshold(6).build());
    jvm.setStartupProbe(new ProbeBuilder().withNewGrpc().withPort(9090)
        .withService("orders.v1.Orders").endGrpc().withPeriodSeconds(3).build());
    Probe permissive = new ProbeBuilder().withNewGrpc().withPort(8080).endGrpc().build();
    jvm.setReadinessProbe(permissive);

    InjectionResult result = inject(pod("orders", jvm));
    Container app = app(result.pod(), "app");

    Probe liveness = app.getLivenessProbe();
    assertThat(liveness.getGrpc()).as("the kubelet now asks Lanyard, over HTTP").isNull();
    assertThat(liveness.getHttpGet().getPath()).isEqualTo("/app-health/app/livez");
    assertThat(liveness.getHttpGet().getPort().getIntVal()).isEqualTo(15022);
    assertThat(liveness.getHttpGet().getScheme()).isEqualTo("HTTP");
    assertThat(List.of(liveness.getInitialDelaySeconds(), liveness.getPeriodSeconds(),
        liveness.getTimeoutSeconds(), liveness.getSuccessThreshold(),
        liveness.getFailureThreshold())).containsExactly(2, 9, 4, 1, 6);
    assertThat(app.getStartupProbe().getGrpc()).isNull();
    assertThat(app.getStartupProbe().getHttpGet().getPath()).isEqualTo("/app-health/app/startupz");
    assertThat(app.getStartupProbe().getPeriodSeconds()).isEqualTo(3);
    assertThat(app.getReadinessProbe()).as("a permissive port serves the kubelet's plaintext")
        .isEqualTo(new ProbeBuilder(permissive).build());
    assertThat(env(app, "LANYARD_APP_PROBES")).contains("{\"/app-health/app/livez\":{\"grpc\":"
        + "{\"port\":9090,\"service\":\"\"},\"timeoutSeconds\":4},\"/app-health/app/startupz\":"
        + "{\"grpc\":{\"port\":9090,\"service\":\"orders.v1.Orders\"},\"timeoutSeconds\":1}}");
    assertThat(AppProbes.parse(env(app, "LANYARD_APP_PROBES").orElseThrow()).asMap())
        .containsExactly(
            java.util.Map.entry("/app-health/app/livez", AppProbe.grpc(9090, "", 4)),
            java.util.Map.entry("/app-health/app/startupz",
                AppProbe.grpc(9090, "orders.v1.Orders", 1)));
    assertThat(result.report().warnings()).isEmpty();
  }

  @Test
  void httpsProbesOfAStrictPortStayAndTheOwnerIsWarned() {
    Container jvm = jvm("*=strict");
    jvm.setReadinessProbe(new ProbeBuilder().withNewHttpGet().withScheme("HTTPS")
        .withNewPort(8443).withPath("/health").endHttpGet().build());

    InjectionResult result = inject(pod("orders", jvm));
    Container app = app(result.pod(), "app");

    assertThat(app.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8443);
    assertThat(env(app, "LANYARD_APP_PROBES")).isEmpty();
    assertThat(result.report().warnings()).extracting(InjectionWarning::reason)
        .containsOnly(Reason.PROBE_NOT_REWRITTEN);
    assertThat(result.report().warnings()).extracting(InjectionWarning::message).containsExactly(
        "container app: its readiness probe is an HTTPS httpGet probe of port 8443, which is"
            + " strict in LANYARD_UPGRADE_INBOUND, so the kubelet's plaintext will be refused there"
            + " and Lanyard cannot move it; the application serves TLS on that port itself, so make"
            + " it off in LANYARD_UPGRADE_INBOUND (e.g. 8443=off)");
  }

  @Test
  void aHealthAddressTheContainerSetIsTheOneProbed() {
    Container jvm = jvm("8080=strict");
    jvm.getEnv().add(new EnvVarBuilder().withName("LANYARD_HEALTH_ADDRESS")
        .withValue("0.0.0.0:17000").build());
    jvm.setReadinessProbe(httpGet(8080, "/health"));

    Container app = app(inject(pod("orders", jvm)).pod(), "app");

    assertThat(app.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(17000);
    assertThat(env(app, "LANYARD_HEALTH_ADDRESS")).contains("0.0.0.0:17000");
  }

  @Test
  void aProbeOfTheJavaagentsOwnHealthPortStaysEvenWhenEveryPortIsStrict() {
    Container jvm = jvm("*=strict");
    jvm.getEnv().add(new EnvVarBuilder().withName("LANYARD_HEALTH_ADDRESS")
        .withValue("0.0.0.0:17000").build());
    Probe own = new ProbeBuilder().withNewHttpGet().withPath("/ready").withNewPort(17000)
        .endHttpGet().build();
    jvm.setReadinessProbe(own);
    jvm.setLivenessProbe(tcp(8080));

    Container app = app(inject(pod("orders", jvm)).pod(), "app");

    assertThat(app.getReadinessProbe()).isEqualTo(new ProbeBuilder(own).build());
    assertThat(app.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/app-health/app/livez");
    assertThat(app.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(17000);
  }

  @Test
  void aHealthPortTurnedOffKeepsTheProbesAndSaysSo() {
    Container jvm = jvm("8080=strict");
    jvm.getEnv().add(new EnvVarBuilder().withName("LANYARD_HEALTH_ADDRESS").withValue("off")
        .build());
    jvm.setReadinessProbe(httpGet(8080, "/health"));

    InjectionResult result = inject(pod("orders", jvm));

    assertThat(app(result.pod(), "app").getReadinessProbe().getHttpGet().getPort().getIntVal())
        .isEqualTo(8080);
    assertThat(result.report().warnings()).extracting(InjectionWarning::message).containsExactly(
        "container app probes strict ports of LANYARD_UPGRADE_INBOUND but sets"
            + " LANYARD_HEALTH_ADDRESS to no port Lanyard can read, so its probes stay as written"
            + " and the kubelet's plaintext will be refused; remove that variable or set it to"
            + " e.g. 0.0.0.0:15022");
  }
}
