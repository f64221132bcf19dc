package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.MeshCidrs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.reasons.Reason;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MeshDestinationsTest {
  private static final String CIDRS = "10.96.0.0/12,10.244.0.0/16,fd00:10:96::/108";

  private static MeshDestinations rule(String meshHosts, String externalHosts, String cidrs) {
    return new MeshDestinations(
        meshHosts == null ? HostGlobs.parse(HostGlobs.DEFAULT_MESH_HOSTS) : HostGlobs.parse(meshHosts),
        HostGlobs.parse(externalHosts, ConfigKeys.EXTERNAL_HOSTS), MeshCidrs.parse(cidrs));
  }

  /** host, mesh hosts (null: default), external hosts, CIDRs, expected mesh?, expected rule. */
  static Stream<Arguments> table() {
    return Stream.of(
        // Built-in defaults, no CIDRs.
        Arguments.of(null, null, "", "", true, MeshDestinations.NO_HOST),
        Arguments.of("", null, "", "", true, MeshDestinations.NO_HOST),
        Arguments.of("payments.prod.svc", null, "", "", true, Reason.MESH_HOSTS),
        Arguments.of("payments.prod.svc.cluster.local.", null, "", "", true, Reason.MESH_HOSTS),
        Arguments.of("orders", null, "", "", true, MeshDestinations.SINGLE_LABEL),
        Arguments.of("ORDERS.", null, "", "", true, MeshDestinations.SINGLE_LABEL),
        Arguments.of("orders.prod", null, "", "", true, MeshDestinations.TWO_LABEL),
        Arguments.of("payments.dev", null, "", "", true, MeshDestinations.TWO_LABEL),
        Arguments.of("github.com", null, "", "", true, MeshDestinations.TWO_LABEL),
        Arguments.of("api.stripe.com", null, "", "", false, MeshDestinations.PUBLIC_NAME),
        Arguments.of("svc.example.com", null, "", "", false, MeshDestinations.PUBLIC_NAME),
        Arguments.of("10.96.0.10", null, "", "", true, MeshDestinations.IP_ADDRESS),
        Arguments.of("140.82.112.3", null, "", "", true, MeshDestinations.IP_ADDRESS),
        Arguments.of("[fd00:10:96::a]", null, "", "", true, MeshDestinations.IP_ADDRESS),
        Arguments.of("localhost", null, "", "", false, MeshDestinations.LOCAL),
        Arguments.of("app.localhost", null, "", "", true, MeshDestinations.TWO_LABEL),
        Arguments.of("127.0.0.1", null, "", "", false, MeshDestinations.LOCAL),
        Arguments.of("::1", null, "", "", false, MeshDestinations.LOCAL),
        Arguments.of("169.254.169.254", null, "", "", false, MeshDestinations.LINK_LOCAL),
        Arguments.of("fe80::1", null, "", "", false, MeshDestinations.LINK_LOCAL),
        Arguments.of("0.0.0.0", null, "", "", false, MeshDestinations.LOCAL),
        // Not an IP literal: a name with digits (never resolved).
        Arguments.of("999.1.1.1", null, "", "", false, MeshDestinations.PUBLIC_NAME),
        // With the cluster's CIDRs.
        Arguments.of("10.96.0.10", null, "", CIDRS, true, Reason.MESH_CIDRS),
        Arguments.of("10.244.3.7", null, "", CIDRS, true, Reason.MESH_CIDRS),
        Arguments.of("fd00:10:96::a", null, "", CIDRS, true, Reason.MESH_CIDRS),
        Arguments.of("140.82.112.3", null, "", CIDRS, false, MeshDestinations.OUTSIDE_CIDRS),
        Arguments.of("10.112.0.1", null, "", CIDRS, false, MeshDestinations.OUTSIDE_CIDRS),
        // CIDRs never change what a name is: DNS does not decide.
        Arguments.of("github.com", null, "", CIDRS, true, MeshDestinations.TWO_LABEL),
        Arguments.of("api.stripe.com", null, "", CIDRS, false, MeshDestinations.PUBLIC_NAME),
        // The operator's escape hatch, and mesh globs first.
        Arguments.of("github.com", null, "github.com,*.example.org", "", false,
            Reason.EXTERNAL_HOSTS),
        Arguments.of("orders", null, "*", "", false, Reason.EXTERNAL_HOSTS),
        Arguments.of("a.prod.svc", null, "*", "", true, Reason.MESH_HOSTS),
        Arguments.of(null, null, "*", "", true, MeshDestinations.NO_HOST),
        Arguments.of("localhost", "localhost", "", "", true, Reason.MESH_HOSTS),
        Arguments.of("db.internal.example", "*.internal.example", "", "", true,
            Reason.MESH_HOSTS),
        // "none" drops the globs, not the built-in label and address rules.
        Arguments.of("payments.prod.svc", "none", "", "", false, MeshDestinations.PUBLIC_NAME),
        Arguments.of("orders", "none", "", "", true, MeshDestinations.SINGLE_LABEL));
  }

  @ParameterizedTest(name = "{0} mesh={1} external={2} cidrs={3} -> mesh={4} {5}")
  @MethodSource("table")
  void decides(String host, String meshHosts, String externalHosts, String cidrs, boolean mesh,
      Reason rule) {
    MeshDestinations.Destination destination =
        rule(meshHosts, externalHosts, cidrs).classify(host);

    assertThat(destination.mesh()).as(destination.toString()).isEqualTo(mesh);
    assertThat(destination.rule()).as(destination.toString()).isEqualTo(rule);
    if (host != null && !host.isEmpty()) {
      assertThat(destination.reason()).contains(MeshDestinations.normalize(host));
    }
  }

  @Test
  void loopbackIsThePodItselfWhereTheCertificateDecides() {
    for (String host : new String[] {"localhost", "LOCALHOST.", "127.0.0.1", "127.9.9.9", "::1",
        "[::1]", "0.0.0.0"}) {
      MeshDestinations.Destination destination = rule(null, "", CIDRS).classify(host);
      assertThat(destination.kind()).as(host).isEqualTo(MeshDestinations.Kind.LOCAL);
      assertThat(destination.acceptsSvid()).isTrue();
      assertThat(destination.mesh()).isFalse();
    }
    assertThat(MeshDestinations.DEFAULT.classify("api.stripe.com").acceptsSvid()).isFalse();
    assertThat(MeshDestinations.DEFAULT.classify("orders").acceptsSvid()).isTrue();
  }

  @Test
  void reasonsNameTheMatchingPatternAndTheFix() {
    assertThat(MeshDestinations.DEFAULT.classify("a.prod.svc").reason())
        .isEqualTo("a.prod.svc matches LANYARD_MESH_HOSTS pattern *.svc");
    assertThat(MeshDestinations.DEFAULT.classify("github.com").reason())
        .contains("list it in LANYARD_EXTERNAL_HOSTS if it is a public host");
    assertThat(rule(null, "", CIDRS).classify("10.96.1.1").reason())
        .isEqualTo("10.96.1.1 is inside LANYARD_MESH_CIDRS range 10.96.0.0/12");
    assertThat(MeshDestinations.DEFAULT.classify("10.96.1.1").reason())
        .contains("set LANYARD_MESH_CIDRS to the cluster's service and pod ranges");
  }

  @Test
  void refusesWhatIsNotACidr() {
    for (String bad : new String[] {"10.96.0.0", "10.96.0.0/33", "fd00::/129", "cluster/16",
        "10.0.0.0/", "300.1.1.1/8"}) {
      assertThatThrownBy(() -> MeshCidrs.parse("10.244.0.0/16," + bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("mesh CIDR \"" + bad + "\" in LANYARD_MESH_CIDRS is not"
              + " address/prefix-length; write the cluster's service and pod ranges, e.g."
              + " 10.96.0.0/12,10.244.0.0/16,fd00:10:96::/108");
    }
  }

  @Test
  void externalHostGlobErrorsNameTheirOwnKnob() {
    assertThatThrownBy(() -> HostGlobs.parse("git hub.com", ConfigKeys.EXTERNAL_HOSTS))
        .hasMessageStartingWith("host pattern \"git hub.com\" in LANYARD_EXTERNAL_HOSTS is not a"
            + " host name glob");
  }

  @Test
  void configReadsTheThreeKnobs() {
    LanyardConfig config = LanyardConfig.fromEnv(java.util.Map.of(
        "LANYARD_EXTERNAL_HOSTS", "github.com", "LANYARD_MESH_CIDRS", "10.96.0.0/12",
        "LANYARD_SERVER_IDS", "orders=spiffe://td/ns/shop/sa/orders"), new java.util.Properties());

    assertThat(config.meshDestinations().classify("github.com").mesh()).isFalse();
    assertThat(config.meshDestinations().classify("8.8.8.8").rule())
        .isEqualTo(MeshDestinations.OUTSIDE_CIDRS);
    assertThat(config.serverIds().forHost("orders")).isPresent();
    assertThat(config.toString()).contains("external_hosts=[github.com]",
        "mesh_cidrs=[10.96.0.0/12]", "server_ids=[orders=spiffe://td/ns/shop/sa/orders]");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(java.util.Map.of("LANYARD_MESH_CIDRS", "x"),
        new java.util.Properties()))
        .hasMessageStartingWith("LANYARD_MESH_CIDRS (or -Dlanyard.mesh.cidrs): mesh CIDR \"x\"");
  }
}
