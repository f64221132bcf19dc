package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppProbesTest {
  @Test
  void writesTheIstioShapedJsonAndReadsItBack() {
    Map<String, AppProbe> probes = new LinkedHashMap<>();
    probes.put(AppProbes.path("app", AppProbes.Probe.READINESS), AppProbe.httpGet(8080,
        "/health?full=1", List.of(AppProbe.header("X-Probe", "a \"quoted\" \\ value")), 2));
    probes.put(AppProbes.path("app", AppProbes.Probe.LIVENESS), AppProbe.tcpSocket(8080, 1));
    probes.put(AppProbes.path("side", AppProbes.Probe.STARTUP),
        AppProbe.httpGet(9000, "", List.of(), 5));
    AppProbes written = AppProbes.of(probes);

    String json = written.toJson();

    assertThat(json).isEqualTo("{\"/app-health/app/readyz\":{\"httpGet\":{\"path\":"
        + "\"/health?full=1\",\"port\":8080,\"scheme\":\"HTTP\",\"httpHeaders\":[{\"name\":"
        + "\"X-Probe\",\"value\":\"a \\\"quoted\\\" \\\\ value\"}]},\"timeoutSeconds\":2},"
        + "\"/app-health/app/livez\":{\"tcpSocket\":{\"port\":8080},\"timeoutSeconds\":1},"
        + "\"/app-health/side/startupz\":{\"httpGet\":{\"path\":\"/\",\"port\":9000,"
        + "\"scheme\":\"HTTP\"},\"timeoutSeconds\":5}}");
    AppProbes read = AppProbes.parse(json);
    assertThat(read).isEqualTo(written);
    assertThat(read.get("/app-health/app/readyz").orElseThrow().headers())
        .containsExactly(AppProbe.header("X-Probe", "a \"quoted\" \\ value"));
    assertThat(read.get("/app-health/app/readyz").orElseThrow().path()).isEqualTo("/health?full=1");
    assertThat(read.get("/app-health/other/readyz")).isEmpty();
  }

  @Test
  void readsWhatAPersonWritesByHand() {
    AppProbes read = AppProbes.parse(" { \"/app-health/app/livez\" : { \"tcpSocket\" : "
        + "{ \"port\" : 8080 } } , \"/app-health/app/readyz\":{\"httpGet\":{\"port\":8080,"
        + "\"path\":\"/caf\\u00e9\"}}}");

    assertThat(read.asMap()).containsExactly(
        Map.entry("/app-health/app/livez", AppProbe.tcpSocket(8080, 1)),
        Map.entry("/app-health/app/readyz", AppProbe.httpGet(8080, "/café", List.of(), 1)));
  }

  @Test
  void aGrpcProbeKeepsItsServiceAndAnAbsentServiceIsTheServer() {
    Map<String, AppProbe> probes = new LinkedHashMap<>();
    probes.put(AppProbes.path("app", AppProbes.Probe.READINESS),
        AppProbe.grpc(9090, "orders.v1.Orders", 2));
    probes.put(AppProbes.path("app", AppProbes.Probe.LIVENESS), AppProbe.grpc(9090, null, 1));
    AppProbes written = AppProbes.of(probes);

    String json = written.toJson();

    assertThat(json).isEqualTo("{\"/app-health/app/readyz\":{\"grpc\":{\"port\":9090,"
        + "\"service\":\"orders.v1.Orders\"},\"timeoutSeconds\":2},"
        + "\"/app-health/app/livez\":{\"grpc\":{\"port\":9090,\"service\":\"\"},"
        + "\"timeoutSeconds\":1}}");
    assertThat(AppProbes.parse(json)).isEqualTo(written);
    AppProbe byHand = AppProbes.parse("{\"/app-health/app/startupz\":{\"grpc\":{\"port\":9090}}}")
        .get("/app-health/app/startupz").orElseThrow();
    assertThat(byHand.kind()).isEqualTo(AppProbe.Kind.GRPC);
    assertThat(byHand.service()).isEmpty();
    assertThat(byHand.path()).isNull();
    assertThat(byHand).isEqualTo(AppProbe.grpc(9090, "", 1));
    assertThat(byHand).isNotEqualTo(AppProbe.grpc(9090, "other", 1))
        .isNotEqualTo(AppProbe.tcpSocket(9090, 1));
  }

  @Test
  void emptyOrBlankIsNone() {
    assertThat(AppProbes.parse("")).isSameAs(AppProbes.NONE);
    assertThat(AppProbes.parse("{}")).isSameAs(AppProbes.NONE);
    assertThat(AppProbes.NONE.toJson()).isEqualTo("{}");
  }

  @Test
  void refusesWhatTheJavaagentCouldNotRunNamingTheEntry() {
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/readyz\":{\"httpGet\":"
        + "{\"port\":\"http\"}}}"))
        .hasMessageStartingWith("entry \"/app-health/app/readyz\": httpGet.port is missing or not"
            + " a whole number (a named port is resolved by the webhook to its number)")
        .hasMessageContaining("the webhook writes e.g. {\"/app-health/app/readyz\"");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/readyz\":{\"httpGet\":"
        + "{\"port\":8443,\"scheme\":\"HTTPS\"}}}"))
        .hasMessageContaining("httpGet.scheme HTTPS is not HTTP (HTTPS probes are not rewritten)");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/readyz\":{\"grpc\":"
        + "{\"port\":9090},\"tcpSocket\":{\"port\":9090}}}"))
        .hasMessageContaining("needs exactly one of httpGet, tcpSocket and grpc");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/readyz\":{\"timeoutSeconds\":1}}"))
        .hasMessageContaining("needs exactly one of httpGet, tcpSocket and grpc");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/readyz\":{\"grpc\":"
        + "{\"port\":\"grpc\"}}}"))
        .hasMessageContaining("grpc.port is missing or not a whole number");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/app/readyz\":{\"grpc\":"
        + "{\"port\":9090,\"service\":7}}}"))
        .hasMessageContaining("grpc.service is not a string (the kubelet's default is \"\", the"
            + " server as a whole)");
    assertThatThrownBy(() -> AppProbes.parse("{\"/ready\":{\"tcpSocket\":{\"port\":1}}}"))
        .hasMessageContaining("path \"/ready\" does not start with /app-health/<container>/");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/a/livez\":{\"tcpSocket\":"
        + "{\"port\":70000}}}"))
        .hasMessageContaining("port 70000 is not a port (1-65535)");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/a/livez\":{\"tcpSocket\":"
        + "{\"port\":1},\"timeoutSeconds\":0}}"))
        .hasMessageContaining("timeoutSeconds 0 is not a positive whole number");
    assertThatThrownBy(() -> AppProbes.parse("{\"/app-health/a/livez\":"))
        .hasMessageStartingWith("not valid JSON at character 23: a value is missing");
    assertThatThrownBy(() -> AppProbes.parse("[1]"))
        .hasMessageStartingWith("not a JSON object of probe paths");
  }
}
