package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.Command;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.Test;

/**
 * {@code helm lint} and {@code helm template} (the real helm) with default and non-default values;
 * every assertion reads the parsed objects, so a value that does not reach the object it names
 * fails here.
 */
class ChartTemplateTest {
  private static final String WEBHOOK = "lanyard-webhook";

  @Test
  void lintPassesStrictlyWithDefaultsAndWithEveryAlternative() {
    for (Map<String, String> values :
        List.of(
            Map.<String, String>of(),
            Map.of("tls.mode", "certManager", "clusterSPIFFEID.enabled", "true"),
            Map.of("injector.socket.type", "hostPath", "admission.failurePolicy", "Ignore"))) {
      Command.Result lint = Helm.lint(values);
      assertThat(lint.exitCode()).as("helm lint %s:%n%s", values, lint.output()).isZero();
      assertThat(lint.output()).contains("1 chart(s) linted, 0 chart(s) failed");
    }
  }

  @Test
  void defaultsRenderEveryObjectOfTheWebhookAndNothingElse() {
    Rendered rendered = Helm.template(Map.of());

    assertThat(rendered.names())
        .containsExactlyInAnyOrder(
            "PodDisruptionBudget/" + WEBHOOK,
            "ServiceAccount/" + WEBHOOK,
            "Secret/" + WEBHOOK + "-tls",
            "ConfigMap/" + WEBHOOK,
            "ClusterRole/" + WEBHOOK,
            "ClusterRoleBinding/" + WEBHOOK,
            "NetworkPolicy/" + WEBHOOK,
            "Service/" + WEBHOOK,
            "Deployment/" + WEBHOOK,
            "MutatingWebhookConfiguration/lanyard-lanyard-system");
    for (JsonNode object : rendered.objects()) {
      assertThat(object.at("/metadata/labels/app.kubernetes.io~1name").asText())
          .as("app.kubernetes.io/name of %s", object.path("kind"))
          .isEqualTo("lanyard");
      if (!object.path("kind").asText().startsWith("Cluster")
          && !object.path("kind").asText().equals("MutatingWebhookConfiguration")) {
        assertThat(object.at("/metadata/namespace").asText()).isEqualTo(Helm.NAMESPACE);
      }
    }
  }

  @Test
  void webhookDeploymentIsHighlyAvailableProbedAndRestricted() {
    Rendered rendered = Helm.template(Map.of());
    JsonNode deployment = rendered.one("Deployment");
    JsonNode pod = rendered.podSpec();
    JsonNode container = pod.path("containers").get(0);

    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(deployment.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt()).isZero();
    assertThat(
            pod.at(
                    "/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0"
                        + "/podAffinityTerm/topologyKey")
                .asText())
        .isEqualTo("kubernetes.io/hostname");
    assertThat(rendered.one("PodDisruptionBudget").at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    assertThat(rendered.one("PodDisruptionBudget").at("/spec/selector/matchLabels"))
        .isEqualTo(deployment.at("/spec/selector/matchLabels"))
        .isEqualTo(rendered.one("Service").at("/spec/selector"));

    assertThat(container.at("/image").asText())
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-webhook:0.1.0-SNAPSHOT");
    assertThat(texts(container.path("args")))
        .containsExactly(
            "--port=8443",
            "--tls-cert=/etc/lanyard/tls/tls.crt",
            "--tls-key=/etc/lanyard/tls/tls.key",
            "--config=/etc/lanyard/config/injector.yaml",
            "--drain-seconds=5",
            "--metrics-port=9090",
            "--events");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
    assertThat(container.at("/readinessProbe/httpGet/scheme").asText()).isEqualTo("HTTPS");
    assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("https");
    assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(8443);
    assertThat(container.at("/resources/requests/cpu").asText()).isEqualTo("100m");
    assertThat(container.at("/resources/limits/memory").asText()).isEqualTo("384Mi");

    JsonNode security = container.path("securityContext");
    assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(texts(security.at("/capabilities/drop"))).containsExactly("ALL");
    assertThat(security.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    assertThat(pod.at("/securityContext/runAsUser").asLong()).isEqualTo(65532);

    assertThat(pod.at("/volumes/0/secret/secretName").asText())
        .isEqualTo(rendered.one("Secret").at("/metadata/name").asText());
    assertThat(pod.at("/volumes/1/configMap/name").asText())
        .isEqualTo(rendered.one("ConfigMap").at("/metadata/name").asText());
    assertThat(pod.at("/serviceAccountName").asText())
        .isEqualTo(rendered.one("ServiceAccount").at("/metadata/name").asText());

    JsonNode port = rendered.one("Service").at("/spec/ports/0");
    assertThat(port.path("port").asInt()).isEqualTo(443);
    assertThat(port.path("targetPort").asText()).isEqualTo("https");
  }

  @Test
  void webhookConfigurationSelectsLabeledNamespacesOnlyWithAnExplicitFailurePolicy() {
    JsonNode webhook = Helm.template(Map.of()).admissionWebhook();

    assertThat(webhook.path("name").asText()).isEqualTo("inject.lanyard.dev");
    assertThat(webhook.path("failurePolicy").asText()).isEqualTo("Fail");
    assertThat(webhook.path("sideEffects").asText()).isEqualTo("NoneOnDryRun");
    assertThat(webhook.path("timeoutSeconds").asInt()).isEqualTo(5);
    assertThat(webhook.path("reinvocationPolicy").asText()).isEqualTo("IfNeeded");
    assertThat(texts(webhook.path("admissionReviewVersions"))).containsExactly("v1");
    assertThat(webhook.at("/clientConfig/service/name").asText()).isEqualTo(WEBHOOK);
    assertThat(webhook.at("/clientConfig/service/namespace").asText()).isEqualTo(Helm.NAMESPACE);
    assertThat(webhook.at("/clientConfig/service/path").asText()).isEqualTo("/mutate");
    assertThat(texts(webhook.at("/rules/0/operations"))).containsExactly("CREATE");
    assertThat(texts(webhook.at("/rules/0/resources"))).containsExactly("pods");

    assertThat(webhook.at("/namespaceSelector/matchLabels/lanyard.dev~1inject").asText())
        .isEqualTo("enabled");
    JsonNode excluded = webhook.at("/namespaceSelector/matchExpressions/0");
    assertThat(excluded.path("key").asText()).isEqualTo("kubernetes.io/metadata.name");
    assertThat(excluded.path("operator").asText()).isEqualTo("NotIn");
    assertThat(texts(excluded.path("values")))
        .containsExactlyInAnyOrder("kube-system", "kube-public", "kube-node-lease", Helm.NAMESPACE);

    JsonNode optOut = webhook.at("/objectSelector/matchExpressions/0");
    assertThat(optOut.path("key").asText()).isEqualTo("lanyard.dev/inject");
    assertThat(optOut.path("operator").asText()).isEqualTo("NotIn");
    assertThat(texts(optOut.path("values"))).containsExactly("false");
  }

  @Test
  void nonDefaultAdmissionAndAvailabilityValuesReachTheirObjects() {
    Rendered rendered =
        Helm.template(
            Map.of(
                "admission.failurePolicy", "Ignore",
                "admission.timeoutSeconds", "12",
                "admission.optOutLabel", "false",
                "admission.excludedNamespaces[0]", "legacy",
                "webhook.replicas", "3",
                "webhook.podAntiAffinity", "hard",
                "webhook.podDisruptionBudget.enabled", "false",
                "webhook.image.tag", "1.2.3",
                "webhook.port", "9443"));
    JsonNode webhook = rendered.admissionWebhook();
    JsonNode pod = rendered.podSpec();

    assertThat(webhook.path("failurePolicy").asText()).isEqualTo("Ignore");
    assertThat(webhook.path("timeoutSeconds").asInt()).isEqualTo(12);
    assertThat(webhook.has("objectSelector")).isFalse();
    assertThat(texts(webhook.at("/namespaceSelector/matchExpressions/0/values")))
        .containsExactlyInAnyOrder("legacy", Helm.NAMESPACE);
    assertThat(rendered.one("Deployment").at("/spec/replicas").asInt()).isEqualTo(3);
    assertThat(
            pod.at(
                    "/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/0"
                        + "/topologyKey")
                .asText())
        .isEqualTo("kubernetes.io/hostname");
    assertThat(rendered.has("PodDisruptionBudget")).isFalse();
    assertThat(pod.at("/containers/0/image").asText())
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-webhook:1.2.3");
    assertThat(texts(pod.at("/containers/0/args"))).contains("--port=9443");
    assertThat(pod.at("/containers/0/ports/0/containerPort").asInt()).isEqualTo(9443);
  }

  @Test
  void rbacGrantsExactlyWhatTheWebhookUsesAndNothingWithoutEvents() {
    Rendered rendered = Helm.template(Map.of());
    JsonNode rules = rendered.one("ClusterRole").path("rules");
    // Events are created; the namespace and the owner kinds OwnerConfirmation reads are read.
    List<String> granted =
        StreamSupport.stream(rules.spliterator(), false)
            .flatMap(
                rule ->
                    texts(rule.path("resources")).stream()
                        .map(
                            resource ->
                                texts(rule.path("apiGroups")).get(0)
                                    + "/"
                                    + resource
                                    + ":"
                                    + String.join(",", texts(rule.path("verbs"))))
                        .toList()
                        .stream())
            .toList();
    assertThat(granted)
        .containsExactlyInAnyOrder(
            "/events:create",
            "/namespaces:get",
            "/replicationcontrollers:get",
            "apps/replicasets:get",
            "apps/statefulsets:get",
            "apps/daemonsets:get",
            "batch/jobs:get");
    JsonNode subject = rendered.one("ClusterRoleBinding").at("/subjects/0");
    assertThat(subject.path("name").asText()).isEqualTo(WEBHOOK);
    assertThat(subject.path("namespace").asText()).isEqualTo(Helm.NAMESPACE);

    Rendered quiet = Helm.template(Map.of("webhook.events", "false"));
    assertThat(quiet.has("ClusterRole")).isFalse();
    assertThat(quiet.has("ClusterRoleBinding")).isFalse();
    assertThat(quiet.podSpec().path("automountServiceAccountToken").asBoolean(true)).isFalse();
    assertThat(texts(quiet.podSpec().at("/containers/0/args"))).contains("--no-events");
  }

  @Test
  void generatedCertificateNamesTheServiceAndChainsToTheCaBundle() throws Exception {
    Rendered rendered = Helm.template(Map.of());
    JsonNode secret = rendered.one("Secret");
    assertThat(secret.path("type").asText()).isEqualTo("kubernetes.io/tls");
    X509Certificate ca = certificate(secret.at("/data/ca.crt").asText());
    X509Certificate serving = certificate(secret.at("/data/tls.crt").asText());

    assertThat(rendered.admissionWebhook().at("/clientConfig/caBundle").asText())
        .isEqualTo(secret.at("/data/ca.crt").asText());
    serving.verify(ca.getPublicKey()); // throws if the CA did not sign it
    assertThat(ca.getBasicConstraints()).isNotNegative();
    assertThat(serving.getSubjectAlternativeNames().stream().map(san -> (Object) san.get(1)).toList())
        .contains(
            (Object) (WEBHOOK + "." + Helm.NAMESPACE + ".svc"),
            (Object) (WEBHOOK + "." + Helm.NAMESPACE + ".svc.cluster.local"));
    assertThat(privateKeyMatches(secret.at("/data/tls.key").asText(), serving.getPublicKey()))
        .isTrue();
  }

  @Test
  void certManagerModeLetsCertManagerIssueAndInjectTheCa() {
    Rendered rendered = Helm.template(Map.of("tls.mode", "certManager"));
    assertThat(rendered.has("Secret")).as("no chart-made Secret").isFalse();

    JsonNode issuer = rendered.one("Issuer");
    assertThat(issuer.at("/spec/selfSigned").isObject()).isTrue();
    JsonNode certificate = rendered.one("Certificate");
    assertThat(certificate.at("/spec/secretName").asText())
        .isEqualTo(rendered.podSpec().at("/volumes/0/secret/secretName").asText());
    assertThat(texts(certificate.at("/spec/dnsNames")))
        .contains(WEBHOOK + "." + Helm.NAMESPACE + ".svc");
    assertThat(certificate.at("/spec/issuerRef/name").asText())
        .isEqualTo(issuer.at("/metadata/name").asText());
    assertThat(certificate.at("/spec/issuerRef/kind").asText()).isEqualTo("Issuer");

    JsonNode configuration = rendered.one("MutatingWebhookConfiguration");
    assertThat(configuration.at("/metadata/annotations/cert-manager.io~1inject-ca-from").asText())
        .isEqualTo(Helm.NAMESPACE + "/" + certificate.at("/metadata/name").asText());
    assertThat(rendered.admissionWebhook().at("/clientConfig").has("caBundle")).isFalse();

    Rendered existingIssuer =
        Helm.template(
            Map.of(
                "tls.mode", "certManager",
                "tls.certManager.issuerRef.name", "corp-ca",
                "tls.certManager.issuerRef.kind", "ClusterIssuer"));
    assertThat(existingIssuer.has("Issuer")).isFalse();
    assertThat(existingIssuer.one("Certificate").at("/spec/issuerRef/name").asText())
        .isEqualTo("corp-ca");
    assertThat(existingIssuer.one("Certificate").at("/spec/issuerRef/kind").asText())
        .isEqualTo("ClusterIssuer");
  }

  @Test
  void injectorConfigurationIsValidForTheWebhookAndCarriesTheValues() {
    InjectorConfig defaults =
        InjectorConfigLoader.fromYaml("default render", Helm.template(Map.of()).injectorConfig());
    assertThat(defaults.webhookNamespace()).isEqualTo(Helm.NAMESPACE);
    assertThat(defaults.socket().type()).isEqualTo(InjectorConfig.SocketVolumeType.CSI);
    assertThat(defaults.socket().csiDriver()).isEqualTo("csi.spiffe.io");
    assertThat(defaults.javaagent().image())
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-javaagent:0.1.0-SNAPSHOT");
    assertThat(defaults.sidecar().image())
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-sidecar:0.1.0-SNAPSHOT");

    Rendered hostPath =
        Helm.template(
            Map.ofEntries(
                Map.entry("injector.socket.type", "hostPath"),
                Map.entry("injector.socket.hostPath", "/run/spire/sockets"),
                Map.entry("injector.socket.fileName", "agent.sock"),
                Map.entry("injector.defaultRuntime", "jvm"),
                Map.entry("injector.javaagent.image.repository", "registry.example/lanyard/javaagent"),
                Map.entry("injector.javaagent.image.tag", "7"),
                Map.entry("injector.javaagent.image.pullPolicy", "Always"),
                Map.entry("injector.javaagent.delivery", "image"),
                Map.entry("injector.sidecar.image.repository", "registry.example/lanyard/sidecar"),
                Map.entry("injector.runAsUser", "10001"),
                Map.entry("injector.defaults.allowedPeers", "spiffe://example.org/ns/platform/**"),
                Map.entry("injector.defaults.startup", "wait=60s\\,then=degrade"),
                Map.entry("injector.defaults.serverIds",
                    "orders=spiffe://example.org/ns/shop/sa/orders"),
                Map.entry("injector.defaults.meshCidrs", "10.96.0.0/12\\,10.244.0.0/16"),
                Map.entry("injector.defaults.externalHosts", "github.com")));
    InjectorConfig config = InjectorConfigLoader.fromYaml("hostPath render", hostPath.injectorConfig());
    assertThat(config.socket().type()).isEqualTo(InjectorConfig.SocketVolumeType.HOST_PATH);
    assertThat(config.socket().hostPath()).isEqualTo("/run/spire/sockets");
    assertThat(config.endpointSocket()).isEqualTo("unix:///spiffe-workload-api/agent.sock");
    assertThat(config.defaultRuntime().name()).isEqualTo("JVM");
    assertThat(config.javaagent().image()).isEqualTo("registry.example/lanyard/javaagent:7");
    assertThat(config.javaagent().imagePullPolicy()).isEqualTo("Always");
    assertThat(config.javaagent().delivery()).isEqualTo(InjectorConfig.JarDelivery.IMAGE);
    assertThat(config.sidecar().image()).isEqualTo("registry.example/lanyard/sidecar:0.1.0-SNAPSHOT");
    assertThat(config.security().runAsUser()).isEqualTo(10001);
    assertThat(config.defaults().allowedPeers()).isEqualTo("spiffe://example.org/ns/platform/**");
    assertThat(config.defaults().startup()).isEqualTo("wait=60s,then=degrade");
    assertThat(config.defaults().serverIds())
        .isEqualTo("orders=spiffe://example.org/ns/shop/sa/orders");
    assertThat(config.defaults().meshCidrs()).isEqualTo("10.96.0.0/12,10.244.0.0/16");
    assertThat(config.defaults().externalHosts()).isEqualTo("github.com");
    assertThat(defaults.defaults().allowedPeers()).isEmpty();
    assertThat(defaults.defaults().meshCidrs()).isEmpty();

    // A changed configuration must roll the webhook pods, or they keep injecting the old one.
    assertThat(hostPath.one("Deployment").at("/spec/template/metadata/annotations/checksum~1config"))
        .isNotEqualTo(
            Helm.template(Map.of())
                .one("Deployment")
                .at("/spec/template/metadata/annotations/checksum~1config"));
  }

  @Test
  void clusterSpiffeIdIsOffByDefaultAndSelectsTheInjectedNamespacesWhenOn() {
    assertThat(Helm.template(Map.of()).has("ClusterSPIFFEID")).isFalse();

    Rendered rendered =
        Helm.template(
            Map.of(
                "clusterSPIFFEID.enabled", "true",
                "clusterSPIFFEID.className", "spire-system-spire",
                "clusterSPIFFEID.ttl", "1h"));
    JsonNode spiffeId = rendered.one("ClusterSPIFFEID");
    assertThat(spiffeId.path("apiVersion").asText()).isEqualTo("spire.spiffe.io/v1alpha1");
    assertThat(spiffeId.at("/spec/spiffeIDTemplate").asText())
        .isEqualTo(
            "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{"
                + " .PodSpec.ServiceAccountName }}");
    assertThat(spiffeId.at("/spec/className").asText()).isEqualTo("spire-system-spire");
    assertThat(spiffeId.at("/spec/ttl").asText()).isEqualTo("1h");
    // The same namespaces the webhook injects, no more (the release and system namespaces stay out).
    assertThat(spiffeId.at("/spec/namespaceSelector"))
        .isEqualTo(rendered.admissionWebhook().path("namespaceSelector"));
  }

  @Test
  void theNetworkPolicyOpensOnlyTheWebhookPortToEveryoneOrToTheApiServerCidrs() {
    JsonNode open = Helm.template(Map.of()).one("NetworkPolicy");
    assertThat(open.at("/spec/podSelector/matchLabels"))
        .isEqualTo(Helm.template(Map.of()).one("Deployment").at("/spec/selector/matchLabels"));
    assertThat(texts(open.at("/spec/policyTypes"))).containsExactly("Ingress");
    assertThat(open.at("/spec/ingress").size()).isEqualTo(1);
    assertThat(open.at("/spec/ingress/0/ports/0/port").asInt()).isEqualTo(8443);
    assertThat(open.at("/spec/ingress/0/from").isMissingNode())
        .as("no from: every source may reach the webhook port (and only that port)")
        .isTrue();

    JsonNode closed =
        Helm.template(
                Map.of(
                    "webhook.port", "9443",
                    "webhook.networkPolicy.apiServerCIDRs[0]", "10.0.0.0/24",
                    "webhook.networkPolicy.apiServerCIDRs[1]", "fd00::/64",
                    "webhook.networkPolicy.extraFrom[0].namespaceSelector.matchLabels.team",
                        "monitoring"))
            .one("NetworkPolicy");
    assertThat(closed.at("/spec/ingress/0/ports/0/port").asInt()).isEqualTo(9443);
    assertThat(closed.at("/spec/ingress/0/from/0/ipBlock/cidr").asText()).isEqualTo("10.0.0.0/24");
    assertThat(closed.at("/spec/ingress/0/from/1/ipBlock/cidr").asText()).isEqualTo("fd00::/64");
    assertThat(closed.at("/spec/ingress/0/from/2/namespaceSelector/matchLabels/team").asText())
        .isEqualTo("monitoring");

    assertThat(Helm.template(Map.of("webhook.networkPolicy.enabled", "false")).has("NetworkPolicy"))
        .isFalse();
    Command.Result notACidr =
        Helm.templateCommand(Map.of("webhook.networkPolicy.apiServerCIDRs[0]", "apiserver"));
    assertThat(notACidr.ok()).isFalse();
    assertThat(notACidr.output()).contains("apiServerCIDRs");
  }

  @Test
  void theCeilingAndTheNamespaceLabelReachTheInjectorConfiguration() {
    InjectorConfig defaults =
        InjectorConfigLoader.fromYaml("default render", Helm.template(Map.of()).injectorConfig());
    assertThat(defaults.ceiling().allowedPeers()).isEmpty();
    assertThat(defaults.ceiling().allowAudit()).isFalse();
    assertThat(defaults.ceiling().auditNamespaces()).isEmpty();
    assertThat(defaults.namespaceLabel())
        .isEqualTo(new InjectorConfig.NamespaceLabel("lanyard.dev/inject", "enabled"));

    InjectorConfig ceiled =
        InjectorConfigLoader.fromYaml(
            "ceiling render",
            Helm.template(
                    Map.of(
                        "injector.ceiling.allowedPeers",
                            "spiffe://example.org/ns/prod/**\\,spiffe://example.org/ns/platform/sa/gw",
                        "injector.ceiling.allowAudit", "true",
                        "injector.ceiling.auditNamespaces[0]", "staging",
                        "admission.namespaceLabel.key", "mesh.example/inject",
                        "admission.namespaceLabel.value", "on"))
                .injectorConfig());
    assertThat(ceiled.ceiling().allowedPeers())
        .isEqualTo("spiffe://example.org/ns/prod/**,spiffe://example.org/ns/platform/sa/gw");
    assertThat(ceiled.ceiling().allowAudit()).isTrue();
    assertThat(ceiled.ceiling().auditNamespaces()).containsExactly("staging");
    assertThat(ceiled.namespaceLabel())
        .isEqualTo(new InjectorConfig.NamespaceLabel("mesh.example/inject", "on"));
  }

  @Test
  void schemaRefusesUnknownKeysAndBadValuesWithTheirNames() {
    Command.Result typo = Helm.templateCommand(Map.of("webhook.replicsa", "3"));
    assertThat(typo.ok()).isFalse();
    assertThat(typo.output()).contains("replicsa");

    Command.Result policy = Helm.templateCommand(Map.of("admission.failurePolicy", "Sometimes"));
    assertThat(policy.ok()).isFalse();
    assertThat(policy.output()).contains("failurePolicy").contains("Fail");

    Command.Result socket = Helm.templateCommand(Map.of("injector.socket.type", "nfs"));
    assertThat(socket.ok()).isFalse();
    assertThat(socket.output()).contains("socket").contains("hostPath");
  }

  static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  @Test
  void theWebhookStartsWithDefaultPeersInAuditModeWhereTheCeilingAllowsIt() {
    // The documented audit keyword (every would-be denial is allowed and logged) in the chart's
    // cluster-wide default, with audit mode enabled: the javaagent and the sidecar accept it, so
    // the webhook's configuration must too.
    Rendered rendered =
        Helm.template(
            Map.of(
                "injector.defaults.allowedPeers", "audit\\,spiffe://example.org/ns/platform/**",
                "injector.ceiling.allowAudit", "true"));

    InjectorConfig config = InjectorConfigLoader.fromYaml("audit render", rendered.injectorConfig());

    assertThat(config.defaults().allowedPeers())
        .isEqualTo("audit,spiffe://example.org/ns/platform/**");
  }

  private static X509Certificate certificate(String base64Pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64Pem)));
  }

  private static boolean privateKeyMatches(String base64Pem, PublicKey expected) throws Exception {
    String pem = new String(Base64.getDecoder().decode(base64Pem), java.nio.charset.StandardCharsets.US_ASCII);
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object parsed = parser.readObject();
      PEMKeyPair pair = (PEMKeyPair) parsed;
      return new JcaPEMKeyConverter().getKeyPair(pair).getPublic().equals(expected);
    }
  }
}
