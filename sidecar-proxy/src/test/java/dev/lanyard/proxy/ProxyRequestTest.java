package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.tls.HostGlobs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ProxyRequestTest {
  private static final HostGlobs MESH = HostGlobs.parse("*.svc,*.cluster.local");

  @Test
  void absoluteFormToAMeshHostGoesOverMtlsInOriginForm() {
    ProxyRequest request = ProxyRequest.parse("GET", "http://classifier.ai-agents.svc:8080/v1/x?y=1#frag", MESH);
    assertThat(request.kind()).isEqualTo(ProxyRequest.Kind.MESH);
    assertThat(request.destination()).isEqualTo(new HostAndPort("classifier.ai-agents.svc", 8080));
    assertThat(request.originForm()).isEqualTo("/v1/x?y=1");
  }

  @Test
  void absoluteFormToAnyOtherHostIsForwardedPlain() {
    ProxyRequest request = ProxyRequest.parse("POST", "HTTP://Example.COM", MESH);
    assertThat(request.kind()).isEqualTo(ProxyRequest.Kind.PLAIN);
    assertThat(request.destination()).isEqualTo(new HostAndPort("example.com", 80));
    assertThat(request.originForm()).isEqualTo("/");
    assertThat(ProxyRequest.parse("GET", "http://example.com?q", MESH).originForm()).isEqualTo("/?q");
    assertThat(ProxyRequest.parse("GET", "http://[::1]:8080/", MESH).destination())
        .isEqualTo(new HostAndPort("::1", 8080));
  }

  @Test
  void connectTunnelsOnlyToNonMeshHosts() {
    assertThat(ProxyRequest.parse("CONNECT", "api.openai.com:443", MESH).kind())
        .isEqualTo(ProxyRequest.Kind.TUNNEL);
    ProxyRequest refused = ProxyRequest.parse("CONNECT", "db.prod.svc:5432", MESH);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.reason()).isEqualTo("lanyard: CONNECT to mesh host db.prod.svc:5432 refused:"
        + " it matches LANYARD_MESH_HOSTS pattern *.svc, and a tunnel would bypass mTLS; send plain"
        + " http://db.prod.svc:5432/... through this proxy instead");
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
