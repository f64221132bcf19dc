package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

class AuthorizedConnectionsTest {
  private static final String PEER = "spiffe://td/ns/a/sa/caller";

  @Test
  void theAuthorizedPeerBeyondTheCapIsRefusedByNameAndAClosedOneFreesItsPlace() {
    AuthorizedConnections connections = new AuthorizedConnections("inbound 8443:8080",
        "inbound:8443", 1, new ConnectionMetrics(new PrometheusRegistry()));
    EmbeddedChannel first = new EmbeddedChannel();
    EmbeddedChannel second = new EmbeddedChannel();

    assertThat(connections.admit(first, PEER)).isEmpty();
    assertThat(connections.admit(second, PEER)).contains("inbound 8443:8080"
        + " already has 1 connections of authorized peers open (LANYARD_MAX_CONNECTIONS=1);"
        + " refused " + PEER + " from embedded");
    assertThat(connections.open()).isEqualTo(1);

    second.close();
    assertThat(connections.open()).as("a refused connection held no place").isEqualTo(1);
    first.close();
    assertThat(connections.open()).isZero();
    EmbeddedChannel third = new EmbeddedChannel();
    assertThat(connections.admit(third, PEER)).isEmpty();
    third.close();
  }
}
