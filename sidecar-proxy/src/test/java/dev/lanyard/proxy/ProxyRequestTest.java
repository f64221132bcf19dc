package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.tls.MeshDestinations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyRequestTest {
  private static final MeshDestinations MESH = new MeshDestinations(
      HostGlobs.parse("*.svc,*.cluster.local"), HostGlobs.NONE, MeshCidrs.NONE);

  @Test
  void absoluteFormToAMeshHostGoesOverMtlsInOriginForm() {
    ProxyRequest request = ProxyRequest.parse("GET", "http://classifier.ai-agents.svc:8080/v1/x?y=1#frag", MESH);
    assertThat(request.kind()).isEqualTo(ProxyRequest.Kind.MESH);
    assertThat(request.destination()).isEqualTo(new HostAndPort("classifier.ai-agents.svc", 8080));
    assertThat(request.originForm()).isEqualTo("/v1/x?y=1");
  }

  @Test
  void absoluteFormToAnyOtherHostIsForwardedPlain() {
    ProxyRequest request = ProxyRequest.parse("POST", "HTTP://WWW.Example.COM", MESH);
    assertThat(request.kind()).isEqualTo(ProxyRequest.Kind.PLAIN);
    assertThat(request.destination()).isEqualTo(new HostAndPort("www.example.com", 80));
    assertThat(request.originForm()).isEqualTo("/");
    assertThat(ProxyRequest.parse("GET", "http://www.example.com?q", MESH).originForm())
        .isEqualTo("/?q");
    assertThat(ProxyRequest.parse("GET", "http://[::1]:8080/", MESH).destination())
        .isEqualTo(new HostAndPort("::1", 8080));
    assertThat(ProxyRequest.parse("GET", "http://[::1]:8080/", MESH).kind())
        .isEqualTo(ProxyRequest.Kind.PLAIN);
  }

  /** Search-path names and cluster IPs are mesh destinations: never sent in clear text. */
  @ParameterizedTest
  @CsvSource({"http://orders:8080/x", "http://orders.prod:8080/x", "http://10.96.0.10/x",
      "http://payments.dev/"})
  void searchPathNamesAndClusterIpsAreUpgradedToMtls(String uri) {
    assertThat(ProxyRequest.parse("GET", uri, MESH).kind()).isEqualTo(ProxyRequest.Kind.MESH);
  }

  @Test
  void theOperatorsExternalHostsAndCidrsKeepPublicHostsPlain() {
    MeshDestinations cluster = new MeshDestinations(HostGlobs.parse("*.svc"),
        HostGlobs.parse("example.com", dev.lanyard.config.ConfigKeys.EXTERNAL_HOSTS),
        MeshCidrs.parse("10.96.0.0/12"));
    assertThat(ProxyRequest.parse("GET", "http://example.com/", cluster).kind())
        .isEqualTo(ProxyRequest.Kind.PLAIN);
    assertThat(ProxyRequest.parse("GET", "http://93.184.216.34/", cluster).kind())
        .isEqualTo(ProxyRequest.Kind.PLAIN);
    assertThat(ProxyRequest.parse("GET", "http://10.96.0.10/", cluster).kind())
        .isEqualTo(ProxyRequest.Kind.MESH);
    assertThat(ProxyRequest.parse("CONNECT", "example.com:443", cluster).kind())
        .isEqualTo(ProxyRequest.Kind.TUNNEL);
  }

  @Test
  void connectTunnelsOnlyToNonMeshHosts() {
    assertThat(ProxyRequest.parse("CONNECT", "api.openai.com:443", MESH).kind())
        .isEqualTo(ProxyRequest.Kind.TUNNEL);
    ProxyRequest refused = ProxyRequest.parse("CONNECT", "db.prod.svc:5432", MESH);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.reason()).isEqualTo("lanyard: CONNECT to mesh host db.prod.svc:5432 refused:"
        + " db.prod.svc matches LANYARD_MESH_HOSTS pattern *.svc (mesh_hosts), and a tunnel"
        + " would bypass mTLS; send plain http://db.prod.svc:5432/... through this proxy instead");
    assertThat(ProxyRequest.parse("CONNECT", "orders:443", MESH).reason())
        .isEqualTo("lanyard: CONNECT to mesh host orders:443 refused: orders is a single-label"
            + " name (a Service of the pod's namespace, reached through the DNS search path)"
            + " (mesh_destination_single_label), and a tunnel would bypass mTLS; send plain"
            + " http://orders:443/... through this proxy instead");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "GET|/relative|origin-form, but this is a forward proxy",
      "GET|*|origin-form",
      "GET|https://a.svc/|use CONNECT (HTTPS_PROXY) for public HTTPS",
      "GET|ftp://a/|is not http://host[:port]/path",
      "GET|http://user:pw@a.svc/|carries user info",
      "GET|http://a.svc:0/|is not a valid host[:port]",
      "GET|http://a.svc:99999/|is not a valid host[:port]",
      "GET|http://a.svc:/|is not a valid host[:port]",
      "GET|http:///path|is not a valid host[:port]",
      "GET|http://a b/|is not a valid host[:port]",
      "GET|http://a.svc/\"<x>|has characters not allowed",
      "GET|http://[::1/|is not a valid host[:port]",
      "CONNECT|api.example.com|is not host:port",
      "CONNECT|:443|is not host:port",
      "CONNECT|host:https|is not host:port",
  })
  void anythingElseIsA400ThatSaysWhatToSend(String method, String uri, String reason) {
    ProxyRequest request = ProxyRequest.parse(method, uri, MESH);
    assertThat(request.kind()).isEqualTo(ProxyRequest.Kind.REFUSED);
    assertThat(request.status()).isEqualTo(400);
    assertThat(request.reason()).startsWith("lanyard: ").contains(reason);
  }

  @Test
  void errorMessagesNeverEchoControlCharacters() {
    ProxyRequest request = ProxyRequest.parse("GET", "gopher://\u0000\u001b[31m", MESH);
    assertThat(request.reason()).doesNotContain("\u0000").doesNotContain("\u001b").contains("??[31m");
  }
}
