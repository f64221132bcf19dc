package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InjectorConfigLoaderTest {
  @Test
  void theDefaultsAreTheDocumentedOnes() {
    InjectorConfig config = InjectorConfigLoader.defaults();

    assertThat(config.socket().type()).isEqualTo(InjectorConfig.SocketVolumeType.CSI);
    assertThat(config.socket().csiDriver()).isEqualTo("csi.spiffe.io");
    assertThat(config.endpointSocket()).isEqualTo("unix:///spiffe-workload-api/spire-agent.sock");
    assertThat(config.sidecar().adminPort()).isEqualTo(15000);
    assertThat(config.sidecar().outboundProxyPort()).isEqualTo(15001);
    assertThat(config.sidecar().shutdownPort()).isEqualTo(15002);
    assertThat(config.sidecar().healthPort()).isEqualTo(15021);
    assertThat(config.sidecar().adminListenHost()).isEqualTo("127.0.0.1");
    assertThat(config.javaagent().delivery()).isEqualTo(InjectorConfig.JarDelivery.COPY);
    assertThat(config.defaultRuntime()).isEqualTo(RuntimeKind.UNKNOWN);
    assertThat(config.javaagent().image()).doesNotContain("${").contains("lanyard-javaagent:");
    assertThat(config.version()).isNotBlank().isNotEqualTo("unknown");
  }

  @Test
  void aFileOverridesOnlyTheKeysItNames(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("config.yaml"), "sidecar:\n  adminPort: 16000\ndefaultRuntime: jvm\n");

    InjectorConfig config = InjectorConfigLoader.load(file);

    assertThat(config.sidecar().adminPort()).isEqualTo(16000);
    assertThat(config.sidecar().outboundProxyPort()).isEqualTo(15001);
    assertThat(config.defaultRuntime()).isEqualTo(RuntimeKind.JVM);
  }

  @Test
  void anUnknownKeyIsAnErrorThatNamesIt() {
    assertThatThrownBy(() -> InjectorConfigLoader.fromYaml("values", "sidecar:\n  adminprot: 1\n"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("adminprot")
        .hasMessageContaining("values");
  }

  @Test
  void aBadEnumValueNamesTheAcceptedOnes() {
    assertThatThrownBy(() -> InjectorConfigLoader.fromYaml("values", "socket: {type: nfs}"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("nfs")
        .hasMessageContaining("csi")
        .hasMessageContaining("hostPath");
  }

  @Test
  void theSidecarsFourPortsMustDiffer() {
    assertThatThrownBy(
            () -> InjectorConfigLoader.fromYaml("values", "sidecar: {healthPort: 15002}"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("sidecar.shutdownPort and sidecar.healthPort are both 15002");
  }

  @Test
  void everyRuleViolationIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                InjectorConfigLoader.fromYaml(
                    "values",
                    """
                    sidecar: {adminPort: 15001, imagePullPolicy: Sometimes}
                    javaagent: {volumeSizeLimit: lots}
                    security: {runAsUser: 0}
                    """))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("4 problems")
        .hasMessageContaining("sidecar.adminPort and sidecar.outboundProxyPort are both 15001")
        .hasMessageContaining(
            "sidecar.imagePullPolicy \"Sometimes\" is not one of Always, IfNotPresent, Never")
        .hasMessageContaining("javaagent.volumeSizeLimit \"lots\"")
        .hasMessageContaining("non-root");
  }

  @Test
  void badDefaultPoliciesStopTheStartNamingTheKey() {
    assertThatThrownBy(
            () ->
                InjectorConfigLoader.fromYaml(
                    "values",
                    "defaults: {allowedPeers: 'example.org/ns/x', startup: 'wait=forever'}\n"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("2 problems")
        .hasMessageContaining(
            "defaults.allowedPeers: allowed peer \"example.org/ns/x\" in LANYARD_ALLOWED_PEERS is"
                + " not a SPIFFE ID pattern: it must start with spiffe://")
        .hasMessageContaining(
            "defaults.startup: startup policy \"wait=forever\": wait \"forever\" is not a duration")
        .hasMessageContaining("(every injected workload would refuse it at start)");
  }

  @Test
  void badServerIdsAndMeshCidrsStopTheStartNamingTheKey() {
    assertThatThrownBy(
            () ->
                InjectorConfigLoader.fromYaml(
                    "values",
                    "defaults: {serverIds: 'orders=orders', meshCidrs: '10.96.0.0/12,cluster'}\n"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("2 problems")
        .hasMessageContaining(
            "defaults.serverIds: server ID \"orders\" in LANYARD_SERVER_IDS is not a SPIFFE ID"
                + " pattern: it must start with spiffe://")
        .hasMessageContaining(
            "defaults.meshCidrs: mesh CIDR \"cluster\" in LANYARD_MESH_CIDRS is not"
                + " address/prefix-length");
  }

  @Test
  void invalidYamlSaysWhere(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("config.yaml"), "sidecar: [\n");

    assertThatThrownBy(() -> InjectorConfigLoader.load(file))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("line");
  }

  @Test
  void theOperatorsDefaultMustLieWithinTheCeiling() {
    assertThatThrownBy(
            () ->
                InjectorConfigLoader.fromYaml(
                    "values",
                    """
                    defaults: {allowedPeers: "spiffe://td/ns/a/*,spiffe://td/ns/b/*"}
                    ceiling: {allowedPeers: "spiffe://td/ns/a/**"}
                    """))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(
            "defaults.allowedPeers entry \"spiffe://td/ns/b/*\" allows peers outside the"
                + " operator's ceiling [spiffe://td/ns/a/**]");
    assertThatThrownBy(
            () -> InjectorConfigLoader.fromYaml("values", "defaults: {allowedPeers: audit}"))
        .hasMessageContaining("defaults.allowedPeers has \"audit\"")
        .hasMessageContaining("not enabled cluster-wide");
    assertThat(
            InjectorConfigLoader.fromYaml(
                    "values",
                    "defaults: {allowedPeers: \"spiffe://td/ns/a/sa/x\"}\n"
                        + "ceiling: {allowedPeers: \"spiffe://td/ns/a/**\"}")
                .ceiling()
                .allowedPeers())
        .isEqualTo("spiffe://td/ns/a/**");
  }

  @Test
  void aMalformedCeilingStopsTheStart() {
    assertThatThrownBy(
            () ->
                InjectorConfigLoader.fromYaml(
                    "values", "ceiling: {allowedPeers: \"spiffe://td/ns/*/x\", auditNamespaces: [\"\"]}"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("entry \"spiffe://td/ns/*/x\" in ceiling.allowedPeers is not a SPIFFE ID")
        .hasMessageContaining("a wildcard may only be the whole last segment");
  }

  @Test
  void theDefaultCeilingLimitsNoPatternAndAllowsAuditNowhere() {
    InjectorConfig.Ceiling ceiling = InjectorConfigLoader.defaults().ceiling();

    assertThat(ceiling.allowedPeers()).isEmpty();
    assertThat(ceiling.allowAudit()).isFalse();
    assertThat(ceiling.auditNamespaces()).isEmpty();
    assertThat(InjectorConfigLoader.defaults().namespaceLabel())
        .isEqualTo(new InjectorConfig.NamespaceLabel("lanyard.dev/inject", "enabled"));
  }
}
