package dev.lanyard.webhook.inject;

import static dev.lanyard.webhook.inject.TestPods.app;
import static dev.lanyard.webhook.inject.TestPods.container;
import static dev.lanyard.webhook.inject.TestPods.env;
import static dev.lanyard.webhook.inject.TestPods.envVar;
import static dev.lanyard.webhook.inject.TestPods.init;
import static dev.lanyard.webhook.inject.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PodInjectorTest {
  private final PodInjector injector = new PodInjector(TestPods.config());

  private InjectionResult inject(Pod pod) {
    return injector.inject(pod, RequestContext.of(TestPods.NAMESPACE));
  }

  @Nested
  class Javaagent {
    @Test
    void aJvmContainerGetsTheJarCopiedByAnInitContainerAndTheFlagInJavaToolOptions() {
      Pod pod = inject(TestPods.jvmPod()).pod();

      Container copy = init(pod, "lanyard-javaagent").orElseThrow();
      assertThat(pod.getSpec().getInitContainers().get(0)).isSameAs(copy);
      assertThat(copy.getImage()).isEqualTo("registry.example/lanyard/javaagent:test");
      assertThat(copy.getCommand())
          .containsExactly("cp", "/javaagent.jar", "/lanyard/javaagent.jar");
      Volume jar = volume(pod, "lanyard-javaagent");
      assertThat(jar.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("64Mi"));
      Container app = app(pod, "app");
      assertThat(app.getVolumeMounts())
          .anySatisfy(
              mount -> {
                assertThat(mount.getMountPath()).isEqualTo("/lanyard");
                assertThat(mount.getReadOnly()).isTrue();
              });
      assertThat(env(app, "JAVA_TOOL_OPTIONS")).contains("-javaagent:/lanyard/javaagent.jar");
      assertThat(env(app, "LANYARD_ADMIN_ADDRESS")).contains("127.0.0.1:15000");
    }

    @Test
    void existingJavaToolOptionsAreKeptAndTheFlagAppended() {
      Container jvm = container("app", "eclipse-temurin:21");
      jvm.setEnv(
          List.of(
              new EnvVarBuilder()
                  .withName("JAVA_TOOL_OPTIONS")
                  .withValue("-Xmx1g -Dfoo=bar")
                  .build()));

      Pod pod = inject(pod("orders", jvm)).pod();

      assertThat(env(app(pod, "app"), "JAVA_TOOL_OPTIONS"))
          .contains("-Xmx1g -Dfoo=bar -javaagent:/lanyard/javaagent.jar");
      assertThat(app(pod, "app").getEnv())
          .filteredOn(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
          .hasSize(1);
    }

    @Test
    void javaToolOptionsFromAConfigMapLeaveThatContainerOutWithAWarningThatNamesTheSource() {
      Container jvm = container("app", "eclipse-temurin:21");
      jvm.setEnv(
          List.of(
              new EnvVarBuilder()
                  .withName("JAVA_TOOL_OPTIONS")
                  .withNewValueFrom()
                  .withNewConfigMapKeyRef()
                  .withName("jvm-flags")
                  .withKey("opts")
                  .endConfigMapKeyRef()
                  .endValueFrom()
                  .build()));

      InjectionResult result = inject(pod("orders", jvm, container("web", "nginx:1.27")));

      ContainerReport app = result.report().container("app").orElseThrow();
      assertThat(app.mode()).isEqualTo(ContainerMode.SKIPPED);
      assertThat(app.skipCode()).isEqualTo("java_tool_options_from_source");
      assertThat(result.report().admissionWarnings())
          .anySatisfy(
              warning ->
                  assertThat(warning)
                      .contains("ConfigMap jvm-flags key opts")
                      .contains("lanyard.dev/runtime.app=other"));
      assertThat(app(result.pod(), "app").getVolumeMounts()).isEmpty();
      assertThat(result.report().container("web").orElseThrow().mode())
          .isEqualTo(ContainerMode.SIDECAR);
    }

    @Test
    void imageDeliveryMountsTheImageAndNeedsNoInitContainer() {
      InjectorConfig config =
          InjectorConfigLoader.fromYaml(
              "test",
              """
              javaagent: {image: registry.example/lanyard/javaagent:test, delivery: image}
              """);

      Pod pod = new PodInjector(config).inject(TestPods.jvmPod(), RequestContext.of("apps")).pod();

      assertThat(init(pod, "lanyard-javaagent")).isEmpty();
      assertThat(volume(pod, "lanyard-javaagent").getImage().getReference())
          .isEqualTo("registry.example/lanyard/javaagent:test");
    }
  }

  @Nested
  class Sidecar {
    @Test
    void aNonJvmContainerGetsANativeSidecarThatStartsFirstAndIsProbedOnItsHealthPort() {
      Pod pod = inject(TestPods.pythonPod()).pod();

      Container sidecar = init(pod, "lanyard-sidecar").orElseThrow();
      assertThat(sidecar.getRestartPolicy()).isEqualTo("Always");
      assertThat(sidecar.getStartupProbe().getHttpGet().getPath()).isEqualTo("/ready");
      assertThat(sidecar.getStartupProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
      assertThat(sidecar.getStartupProbe().getHttpGet().getHost())
          .as("the kubelet must probe the pod IP, not its own loopback")
          .isNull();
      assertThat(env(sidecar, "LANYARD_HEALTH_ADDRESS")).contains("0.0.0.0:15021");
      assertThat(sidecar.getPorts())
          .as("only the health and metrics ports are declared on the pod IP")
          .extracting(port -> port.getName() + "=" + port.getContainerPort())
          .containsExactly("lanyard-health=15021", "lanyard-metrics=15020");
    }

    @Test
    void theSidecarsAdminEndpointAndShutdownListenOnLoopback() {
      Container sidecar = init(inject(TestPods.pythonPod()).pod(), "lanyard-sidecar").orElseThrow();

      assertThat(env(sidecar, "LANYARD_ADMIN_ADDRESS")).contains("127.0.0.1:15000");
      assertThat(env(sidecar, "LANYARD_SHUTDOWN_ADDRESS")).contains("127.0.0.1:15002");
      assertThat(env(sidecar, "LANYARD_OUTBOUND_PROXY")).contains("127.0.0.1:15001");
    }

    @Test
    void appContainersInSidecarModeProxyThroughTheSidecar() {
      Container api = app(inject(TestPods.pythonPod()).pod(), "api");

      assertThat(env(api, "HTTP_PROXY")).contains("http://127.0.0.1:15001");
      assertThat(env(api, "http_proxy")).contains("http://127.0.0.1:15001");
      assertThat(env(api, "NO_PROXY")).contains("localhost,127.0.0.1,::1");
      assertThat(env(api, "JAVA_TOOL_OPTIONS")).isEmpty();
    }

    @Test
    void inboundAllowedPeersAndStartupGoToTheSidecarAndNotToTheProxiedApp() {
      Pod input = TestPods.pythonPod();
      input
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of(
                      "lanyard.dev/inbound", "8443:8080",
                      "lanyard.dev/allowed-peers", "spiffe://example.org/ns/apps/*",
                      "lanyard.dev/startup", "wait=10s,then=degrade")));

      Pod pod = inject(input).pod();

      Container sidecar = init(pod, "lanyard-sidecar").orElseThrow();
      assertThat(env(sidecar, "LANYARD_INBOUND")).contains("8443:8080");
      assertThat(env(sidecar, "LANYARD_ALLOWED_PEERS")).contains("spiffe://example.org/ns/apps/*");
      assertThat(env(sidecar, "LANYARD_STARTUP")).contains("wait=10s,then=degrade");
      assertThat(env(app(pod, "api"), "LANYARD_ALLOWED_PEERS")).isEmpty();
    }

    @Test
    void jwtAudiencesAndAuditGoToJavaagentAndSidecarTheInboundAudienceToTheSidecarOnly() {
      Pod mixed =
          pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3"));
      mixed
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of(
                      "lanyard.dev/jwt-audiences", "llm-gateway.*.svc=llm-gateway",
                      "lanyard.dev/inbound-jwt-audience", "notifier",
                      "lanyard.dev/audit", "all")));

      InjectionResult result = inject(mixed);
      Container sidecar = init(result.pod(), "lanyard-sidecar").orElseThrow();
      Container jvm = app(result.pod(), "jvm");

      assertThat(env(jvm, "LANYARD_JWT_AUDIENCES")).contains("llm-gateway.*.svc=llm-gateway");
      assertThat(env(jvm, "LANYARD_AUDIT")).contains("all");
      assertThat(env(jvm, "LANYARD_INBOUND_JWT_AUDIENCE")).isEmpty();
      assertThat(env(sidecar, "LANYARD_JWT_AUDIENCES")).contains("llm-gateway.*.svc=llm-gateway");
      assertThat(env(sidecar, "LANYARD_INBOUND_JWT_AUDIENCE")).contains("notifier");
      assertThat(env(sidecar, "LANYARD_AUDIT")).contains("all");
      assertThat(env(app(result.pod(), "py"), "LANYARD_JWT_AUDIENCES")).isEmpty();
    }

    @Test
    void anInboundPortDeclaredRawTcpIsAcceptedAndPassedToTheSidecarAnUnknownSuffixIsRefused() {
      Pod raw = TestPods.pythonPod();
      raw.getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of("lanyard.dev/inbound", "8443:8080,15432:5432/tcp,9443:9090/http")));

      InjectionResult accepted = inject(raw);

      assertThat(accepted.report().admissionWarnings()).isEmpty();
      Container sidecar = init(accepted.pod(), "lanyard-sidecar").orElseThrow();
      assertThat(env(sidecar, "LANYARD_INBOUND")).contains("8443:8080,15432:5432/tcp,9443:9090/http");

      Pod udp = TestPods.pythonPod();
      udp.getMetadata()
          .setAnnotations(new java.util.HashMap<>(java.util.Map.of("lanyard.dev/inbound", "8443:8080/udp")));

      InjectionResult refused = inject(udp);
      assertThat(refused.report().refused()).isTrue();
      assertThat(refused.report().summary())
          .contains(
              "annotation lanyard.dev/inbound: entry \"8443:8080/udp\" is not meshPort:appPort with"
                  + " ports in 1-65535, optionally followed by /tcp (raw TCP, no identity headers)");
    }

    @Test
    void malformedJwtAndAuditAnnotationsAreRefusedInTheWorkloadsWords() {
      Pod jvmOnly = TestPods.jvmPod();
      jvmOnly
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of(
                      "lanyard.dev/jwt-audiences", "llm-gateway.svc",
                      "lanyard.dev/audit", "verbose")));

      InjectionResult result = inject(jvmOnly);

      assertThat(result.report().refused()).isTrue();
      assertThat(result.report().summary())
          .contains(
              "annotation lanyard.dev/audit: audit mode \"verbose\" is not one of deny, all, off")
          .contains(
              "annotation lanyard.dev/jwt-audiences: entry \"llm-gateway.svc\" is not"
                  + " host-glob=audience");
    }

    @Test
    void anInboundAudienceWithoutSidecarIsWarnedAbout() {
      Pod jvmOnly = TestPods.jvmPod();
      jvmOnly
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(java.util.Map.of("lanyard.dev/inbound-jwt-audience", "notifier")));

      InjectionResult result = inject(jvmOnly);

      assertThat(result.report().admissionWarnings())
          .anySatisfy(w -> assertThat(w).contains("no container of pod").contains("sidecar"));
    }

    @Test
    void theConfiguredDefaultsApplyToPodsWithoutAnnotationsAndAnAnnotationWins() {
      PodInjector withDefaults =
          new PodInjector(
              InjectorConfigLoader.fromYaml(
                  "test config",
                  """
                  defaults:
                    allowedPeers: spiffe://example.org/ns/platform/**
                    startup: wait=90s,then=degrade
                  """));
      Pod annotated = TestPods.pythonPod();
      annotated
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of("lanyard.dev/allowed-peers", "spiffe://example.org/ns/a/sa/b")));

      Container plain =
          init(withDefaults.inject(TestPods.pythonPod(), RequestContext.of("apps")).pod(), "lanyard-sidecar")
              .orElseThrow();
      Container own =
          init(withDefaults.inject(annotated, RequestContext.of("apps")).pod(), "lanyard-sidecar").orElseThrow();
      Container jvm = app(withDefaults.inject(TestPods.jvmPod(), RequestContext.of("apps")).pod(), "app");

      assertThat(env(plain, "LANYARD_ALLOWED_PEERS")).contains("spiffe://example.org/ns/platform/**");
      assertThat(env(plain, "LANYARD_STARTUP")).contains("wait=90s,then=degrade");
      assertThat(env(own, "LANYARD_ALLOWED_PEERS")).contains("spiffe://example.org/ns/a/sa/b");
      assertThat(env(own, "LANYARD_STARTUP")).contains("wait=90s,then=degrade");
      assertThat(env(jvm, "LANYARD_ALLOWED_PEERS")).contains("spiffe://example.org/ns/platform/**");
      // Without configured defaults nothing is set: the runtime's own default applies.
      assertThat(env(init(inject(TestPods.pythonPod()).pod(), "lanyard-sidecar").orElseThrow(),
              "LANYARD_ALLOWED_PEERS"))
          .isEmpty();
    }

    @Test
    void serverIdsMeshCidrsAndExternalHostsReachJavaagentAndSidecarAndAnAnnotationWins() {
      PodInjector withDefaults =
          new PodInjector(
              InjectorConfigLoader.fromYaml(
                  "test config",
                  """
                  defaults:
                    serverIds: "*.prod.svc=spiffe://example.org/ns/prod/**"
                    meshCidrs: 10.96.0.0/12,10.244.0.0/16
                    externalHosts: github.com
                  """));
      Pod mixed =
          pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3"));
      mixed
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of(
                      "lanyard.dev/server-ids",
                      "orders=spiffe://example.org/ns/shop/sa/orders")));

      InjectionResult annotated = withDefaults.inject(mixed, RequestContext.of("apps"));
      Container sidecar = init(annotated.pod(), "lanyard-sidecar").orElseThrow();
      Container jvm = app(annotated.pod(), "jvm");
      Container plain =
          init(withDefaults.inject(TestPods.pythonPod(), RequestContext.of("apps")).pod(),
                  "lanyard-sidecar")
              .orElseThrow();

      for (Container container : List.of(sidecar, jvm)) {
        assertThat(env(container, "LANYARD_SERVER_IDS"))
            .contains("orders=spiffe://example.org/ns/shop/sa/orders");
        assertThat(env(container, "LANYARD_MESH_CIDRS")).contains("10.96.0.0/12,10.244.0.0/16");
        assertThat(env(container, "LANYARD_EXTERNAL_HOSTS")).contains("github.com");
      }
      assertThat(env(app(annotated.pod(), "py"), "LANYARD_SERVER_IDS")).isEmpty();
      assertThat(env(plain, "LANYARD_SERVER_IDS")).contains("*.prod.svc=spiffe://example.org/ns/prod/**");
      assertThat(annotated.report().admissionWarnings()).isEmpty();
      // Without configured defaults nothing is set: the runtime's own defaults apply.
      Container bare = init(inject(TestPods.pythonPod()).pod(), "lanyard-sidecar").orElseThrow();
      assertThat(env(bare, "LANYARD_SERVER_IDS")).isEmpty();
      assertThat(env(bare, "LANYARD_MESH_CIDRS")).isEmpty();
    }

    @Test
    void aMalformedServerIdsAnnotationIsRefusedInTheWorkloadsWords() {
      Pod jvmOnly = TestPods.jvmPod();
      jvmOnly
          .getMetadata()
          .setAnnotations(
              new java.util.HashMap<>(
                  java.util.Map.of("lanyard.dev/server-ids", "orders=ns/shop/sa/orders")));

      InjectionResult result = inject(jvmOnly);

      assertThat(result.report().refused()).isTrue();
      assertThat(result.report().reasonCode()).isEqualTo("invalid_workload_value");
      assertThat(result.report().summary())
          .contains(
              "annotation lanyard.dev/server-ids: server ID \"ns/shop/sa/orders\" in"
                  + " LANYARD_SERVER_IDS is not a SPIFFE ID pattern: it must start with spiffe://")
          .endsWith("; the workload would refuse to start with it");
      assertThat(result.pod()).isSameAs(jvmOnly);
    }

    @Test
    void aJvmAndANonJvmContainerGetTheJavaagentAndTheSidecarOnDifferentAdminPorts() {
      InjectionResult result =
          inject(pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3")));

      assertThat(result.report().container("jvm").orElseThrow().mode())
          .isEqualTo(ContainerMode.JAVAAGENT);
      assertThat(result.report().container("py").orElseThrow().mode())
          .isEqualTo(ContainerMode.SIDECAR);
      InjectionStatus status =
          InjectionStatus.parse(
                  result.pod().getMetadata().getAnnotations().get(LanyardNames.STATUS))
              .orElseThrow();
      int javaagentPort = status.adminPorts().get("jvm");
      assertThat(status.adminPorts()).containsEntry("lanyard-sidecar", 15000);
      assertThat(javaagentPort)
          .as("the javaagent's admin port is none of the sidecar's listeners")
          .isNotIn(LanyardPorts.sidecarPorts(TestPods.config()).keySet());
      assertThat(env(app(result.pod(), "jvm"), "LANYARD_ADMIN_ADDRESS"))
          .contains("127.0.0.1:" + javaagentPort);
      assertThat(result.pod().getSpec().getInitContainers())
          .extracting(Container::getName)
          .containsExactly("lanyard-javaagent", "lanyard-sidecar");
    }

    @Test
    void severalJavaagentsNextToTheSidecarEachGetAPortOfTheirOwn() {
      InjectionResult result =
          inject(
              pod(
                  "many",
                  container("a", "eclipse-temurin:21"),
                  container("b", "eclipse-temurin:21"),
                  container("c", "eclipse-temurin:21"),
                  container("py", "python:3")));

      InjectionStatus status =
          InjectionStatus.parse(
                  result.pod().getMetadata().getAnnotations().get(LanyardNames.STATUS))
              .orElseThrow();
      List<Integer> ports = List.copyOf(status.adminPorts().values());
      assertThat(ports).doesNotHaveDuplicates().hasSize(4);
      assertThat(ports.subList(1, 4))
          .doesNotContainAnyElementsOf(LanyardPorts.sidecarPorts(TestPods.config()).keySet());
    }
  }

  @Nested
  class LanyardPortsInAnnotations {
    private Pod withInbound(String inbound, Container... containers) {
      Pod pod = pod("ports", containers);
      pod.getMetadata()
          .setAnnotations(new java.util.HashMap<>(java.util.Map.of("lanyard.dev/inbound", inbound)));
      return pod;
    }

    @Test
    void anInboundRouteToTheShutdownPortIsRefusedNamingThePortAndItsUse() {
      InjectionResult result = inject(withInbound("8443:15002", container("py", "python:3")));

      assertThat(result.report().refused()).isTrue();
      assertThat(result.report().reasonCode()).isEqualTo("lanyard_port");
      assertThat(result.report().summary())
          .contains(
              "lanyard.dev/inbound entry \"8443:15002\" routes mesh peers to port 15002, which is"
                  + " the sidecar's POST /shutdown")
          .contains("route the mesh port to the application's own port");
      assertThat(result.pod().getMetadata().getAnnotations()).doesNotContainKey("lanyard.dev/status");
    }

    @Test
    void everyLanyardPortIsRefusedAsAppOrMeshPort() {
      for (String inbound : List.of("8443:15000", "8443:15001", "8443:15021", "15021:8080",
          "15000:8080", "8443:8080,9443:15002")) {
        InjectionResult result = inject(withInbound(inbound, container("py", "python:3")));
        assertThat(result.report().refused()).as(inbound).isTrue();
        assertThat(result.report().summary()).as(inbound).contains("which is the sidecar's");
      }
      assertThat(inject(withInbound("8443:8080", container("py", "python:3"))).report().refused())
          .isFalse();
    }

    @Test
    void anInboundRouteToAJavaagentsOwnAdminPortIsRefused() {
      Container jvm = container("jvm", "eclipse-temurin:21");
      jvm.setEnv(new java.util.ArrayList<>(List.of(new EnvVar("LANYARD_ADMIN_ADDRESS", "127.0.0.1:16000", null))));

      InjectionResult result = inject(withInbound("8443:16000", jvm, container("py", "python:3")));

      assertThat(result.report().summary())
          .contains("port 16000, which is the javaagent admin endpoint of container jvm");
    }

    @Test
    void inASidecarPodAnAppPortOnAFixedSidecarPortIsRefused() {
      Container py = container("py", "python:3");
      py.setPorts(new java.util.ArrayList<>(List.of(
          new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withContainerPort(15021).build())));
      Container jvm = container("jvm", "eclipse-temurin:21");
      jvm.setEnv(new java.util.ArrayList<>(List.of(new EnvVar("LANYARD_ADMIN_ADDRESS", "127.0.0.1:15002", null))));

      InjectionResult result = inject(pod("clash", jvm, py));

      assertThat(result.report().refused()).isTrue();
      assertThat(result.report().summary())
          .contains("container py declares port 15021, which is the sidecar's health port")
          .contains("container jvm sets LANYARD_ADMIN_ADDRESS to port 15002, which is the"
              + " sidecar's POST /shutdown");
      assertThat(inject(pod("jvm-only", jvm)).report().refused())
          .as("without a sidecar nothing else listens there")
          .isFalse();
    }
  }

  @Nested
  class EveryInjectedContainer {
    @Test
    void getsTheSocketReadOnlyAndTheEndpointVariable() {
      Pod pod = inject(TestPods.jvmPod()).pod();

      Volume socket = volume(pod, "spiffe-workload-api");
      assertThat(socket.getCsi().getDriver()).isEqualTo("csi.spiffe.io");
      assertThat(socket.getCsi().getReadOnly()).isTrue();
      assertThat(app(pod, "app").getVolumeMounts())
          .anySatisfy(
              mount -> {
                assertThat(mount.getName()).isEqualTo("spiffe-workload-api");
                assertThat(mount.getMountPath()).isEqualTo("/spiffe-workload-api");
                assertThat(mount.getReadOnly()).isTrue();
              });
      assertThat(env(app(pod, "app"), "SPIFFE_ENDPOINT_SOCKET"))
          .contains("unix:///spiffe-workload-api/spire-agent.sock");
    }

    @Test
    void theJavaagentAndTheSidecarGetTheDownwardApiAttestationVariables() {
      Pod pod =
          inject(pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3")))
              .pod();

      // Only where Lanyard code runs: the javaagent's JVM and the sidecar; the app behind the
      // sidecar runs none, so it gets none of them.
      assertThat(app(pod, "py").getEnv())
          .extracting(EnvVar::getName)
          .doesNotContain(
              "LANYARD_POD_NAME",
              "LANYARD_POD_NAMESPACE",
              "LANYARD_NODE_NAME",
              "LANYARD_SERVICE_ACCOUNT");
      for (Container container :
          List.of(app(pod, "jvm"), init(pod, "lanyard-sidecar").orElseThrow())) {
        assertThat(
                envVar(container, "LANYARD_POD_NAME")
                    .orElseThrow()
                    .getValueFrom()
                    .getFieldRef()
                    .getFieldPath())
            .isEqualTo("metadata.name");
        assertThat(
                envVar(container, "LANYARD_POD_NAMESPACE")
                    .orElseThrow()
                    .getValueFrom()
                    .getFieldRef()
                    .getFieldPath())
            .isEqualTo("metadata.namespace");
        assertThat(
                envVar(container, "LANYARD_NODE_NAME")
                    .orElseThrow()
                    .getValueFrom()
                    .getFieldRef()
                    .getFieldPath())
            .isEqualTo("spec.nodeName");
        assertThat(
                envVar(container, "LANYARD_SERVICE_ACCOUNT")
                    .orElseThrow()
                    .getValueFrom()
                    .getFieldRef()
                    .getFieldPath())
            .isEqualTo("spec.serviceAccountName");
      }
    }

    @Test
    void addedContainersMeetPodSecurityRestrictedAndRequestResources() {
      Pod pod =
          inject(pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3")))
              .pod();

      assertThat(pod.getSpec().getInitContainers())
          .hasSize(2)
          .allSatisfy(
              added -> {
                SecurityContext security = added.getSecurityContext();
                assertThat(security.getRunAsNonRoot()).isTrue();
                assertThat(security.getRunAsUser()).isPositive();
                assertThat(security.getAllowPrivilegeEscalation()).isFalse();
                assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
                assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
                assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
                assertThat(security.getReadOnlyRootFilesystem()).isTrue();
                assertThat(added.getResources().getRequests()).containsKeys("cpu", "memory");
              });
    }

    @Test
    void hostPathSocketWhenConfigured() {
      InjectorConfig config =
          InjectorConfigLoader.fromYaml(
              "test", "socket: {type: hostPath, hostPath: /run/spire/sockets}");

      Pod pod =
          new PodInjector(config).inject(TestPods.pythonPod(), RequestContext.of("apps")).pod();

      assertThat(volume(pod, "spiffe-workload-api").getHostPath().getPath())
          .isEqualTo("/run/spire/sockets");
      assertThat(volume(pod, "spiffe-workload-api").getCsi()).isNull();
    }
  }

  @Nested
  class Skips {
    @Test
    void optOutByLabelOrAnnotation() {
      Pod byLabel =
          new PodBuilder(TestPods.jvmPod())
              .editMetadata()
              .addToLabels("lanyard.dev/inject", "false")
              .endMetadata()
              .build();
      Pod byAnnotation =
          new PodBuilder(TestPods.jvmPod())
              .editMetadata()
              .addToAnnotations("lanyard.dev/inject", "false")
              .endMetadata()
              .build();

      assertSkipped(byLabel, Reason.OPTED_OUT, "label lanyard.dev/inject=false");
      assertSkipped(byAnnotation, Reason.OPTED_OUT, "annotation lanyard.dev/inject=false");
    }

    @Test
    void hostNetworkPods() {
      assertSkipped(
          new PodBuilder(TestPods.jvmPod()).editSpec().withHostNetwork(true).endSpec().build(),
          Reason.HOST_NETWORK,
          "hostNetwork");
    }

    @Test
    void systemNamespacesAndTheWebhooksOwn() {
      for (String namespace : List.of("kube-system", "kube-public", "kube-node-lease")) {
        Pod pod =
            new PodBuilder(TestPods.jvmPod())
                .editMetadata()
                .withNamespace(namespace)
                .endMetadata()
                .build();
        assertSkipped(pod, Reason.SYSTEM_NAMESPACE, namespace);
      }
      Pod own =
          new PodBuilder(TestPods.jvmPod())
              .editMetadata()
              .withNamespace("lanyard-system")
              .endMetadata()
              .build();
      assertSkipped(own, Reason.WEBHOOK_NAMESPACE, "lanyard-system");
    }

    @Test
    void alreadyInjectedPodsAreReturnedUnchanged() {
      Pod once = inject(TestPods.jvmPod()).pod();

      InjectionResult twice = inject(once);

      assertThat(twice.report().skipReason()).isEqualTo(Reason.ALREADY_INJECTED);
      assertThat(twice.report().admissionWarnings()).as("re-admission is not news").isEmpty();
      assertThat(JsonPatches.diff(once, twice.pod())).isEmpty();
    }

    @Test
    void anUnknownModeSkipsThePodAndNamesTheValidOnes() {
      Pod pod =
          new PodBuilder(TestPods.jvmPod())
              .editMetadata()
              .addToAnnotations("lanyard.dev/mode", "none")
              .endMetadata()
              .build();

      assertSkipped(
          pod,
          Reason.INVALID_ANNOTATION,
          "lanyard.dev/mode=\"none\" is not one of auto, javaagent, sidecar, socket");
    }

    @Test
    void aVolumeUnderOurNameThatIsNotOursSkipsThePod() {
      Pod pod =
          new PodBuilder(TestPods.jvmPod())
              .editSpec()
              .addNewVolume()
              .withName("spiffe-workload-api")
              .withNewHostPath()
              .withPath("/somewhere/else")
              .endHostPath()
              .endVolume()
              .endSpec()
              .build();

      assertSkipped(
          pod, Reason.NAME_CONFLICT, "volume spiffe-workload-api (hostPath /somewhere/else");
    }

    private void assertSkipped(Pod pod, Reason reason, String sentencePart) {
      InjectionResult result = inject(pod);
      assertThat(result.report().skipReason()).isEqualTo(reason);
      assertThat(result.report().reasonCode()).isEqualTo(reason.code());
      assertThat(result.report().summary()).contains(sentencePart);
      assertThat(result.pod()).isSameAs(pod);
    }
  }

  @Test
  void usesTheRequestNamespaceAndGenerateNameOfPodsFromReplicaSets() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withGenerateName("web-7c9d8f6b5-")
            .endMetadata()
            .withNewSpec()
            .addToContainers(container("web", "nginx:1.27"))
            .endSpec()
            .build();

    InjectionResult inKubeSystem = injector.inject(pod, RequestContext.of("kube-system"));
    InjectionResult inApps = injector.inject(pod, RequestContext.of("apps"));

    assertThat(inKubeSystem.report().skipReason()).isEqualTo(Reason.SYSTEM_NAMESPACE);
    assertThat(inApps.report().injected()).isTrue();
    assertThat(inApps.report().pod()).isEqualTo("web-7c9d8f6b5-*");
    assertThat(inApps.report().namespace()).isEqualTo("apps");
    assertThat(inApps.pod().getMetadata().getNamespace())
        .as("the namespace is the request's, not written")
        .isNull();
  }

  @Test
  void neverChangesItsInput() {
    Pod input = pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3"));
    String before = KubeJson.serialization().asJson(input);

    inject(input);

    assertThat(KubeJson.serialization().asJson(input)).isEqualTo(before);
  }

  @Test
  void onlyTheContainersNamedInTheContainersAnnotation() {
    Pod input =
        new PodBuilder(
                pod("two", container("api", "python:3"), container("logs", "fluent/fluent-bit:3")))
            .editMetadata()
            .addToAnnotations("lanyard.dev/containers", "api")
            .endMetadata()
            .build();

    InjectionResult result = inject(input);

    assertThat(result.report().container("logs").orElseThrow().skipCode())
        .isEqualTo("not_selected");
    assertThat(app(result.pod(), "logs").getEnv()).isEmpty();
    assertThat(env(app(result.pod(), "api"), "SPIFFE_ENDPOINT_SOCKET")).isPresent();
  }

  @Test
  void theStatusAnnotationRecordsVersionModesAndWhatWasAdded() {
    Pod pod =
        inject(pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3")))
            .pod();

    InjectionStatus status =
        InjectionStatus.parse(pod.getMetadata().getAnnotations().get("lanyard.dev/status"))
            .orElseThrow();

    assertThat(status.version()).isEqualTo("0.0.0-test");
    assertThat(status.containers())
        .containsEntry("jvm", "javaagent")
        .containsEntry("py", "sidecar");
    assertThat(status.initContainers()).containsExactly("lanyard-javaagent", "lanyard-sidecar");
    assertThat(status.volumes()).contains("spiffe-workload-api", "lanyard-javaagent");
  }

  private static Volume volume(Pod pod, String name) {
    return Stream.of(pod.getSpec().getVolumes().toArray(Volume[]::new))
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
