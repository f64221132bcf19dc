package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

class AuthorizedConnectionsTest {
  private static final String PEER = "spiffe://td/ns/a/sa/caller";
  private final AuthorizedConnections connections = new AuthorizedConnections("inbound 8443:8080",
      "inbound:8443", 1, new ConnectionMetrics(new PrometheusRegistry()));

  @Test
  void onlyAuthorizedPeersCountAndTheOneBeyondTheCapIsRefusedByName() {
    EmbeddedChannel first = new EmbeddedChannel();
    Promise<String> firstAuthorized = first.eventLoop().newPromise();
    Future<String> firstAdmitted = connections.admit(first, firstAuthorized);
    EmbeddedChannel second = new EmbeddedChannel();
    Promise<String> secondAuthorized = second.eventLoop().newPromise();
    Future<String> secondAdmitted = connections.admit(second, secondAuthorized);
    // Still handshaking: neither counts.
    assertThat(connections.open()).isZero();

    firstAuthorized.setSuccess(PEER);
    secondAuthorized.setSuccess(PEER);

    assertThat(firstAdmitted.getNow()).isEqualTo(PEER);
    assertThat(secondAdmitted.isSuccess()).isFalse();
    assertThat(secondAdmitted.cause()).hasMessage("connection_limit: inbound 8443:8080 already has 1"
        + " connections of authorized peers open (LANYARD_MAX_CONNECTIONS=1); refused " + PEER
        + " from embedded");
    assertThat(second.isOpen()).isFalse();
    assertThat(connections.open()).isEqualTo(1);

    first.close();
    assertThat(connections.open()).isZero();
    EmbeddedChannel third = new EmbeddedChannel();
    Promise<String> thirdAuthorized = third.eventLoop().newPromise();
    Future<String> thirdAdmitted = connections.admit(third, thirdAuthorized);
    thirdAuthorized.setSuccess(PEER);
    assertThat(thirdAdmitted.getNow()).isEqualTo(PEER);
    third.close();
  }

  @Test
  void aRefusedHandshakePassesItsReasonOnAndTakesNoPlace() {
    EmbeddedChannel channel = new EmbeddedChannel();
    Promise<String> authorized = channel.eventLoop().newPromise();
    Future<String> admitted = connections.admit(channel, authorized);

    authorized.setFailure(new PeerAuthorizationHandler.PeerRefusedException("peer_refused: lanyard: refused"));

    assertThat(admitted.cause()).hasMessage("peer_refused: lanyard: refused");
    assertThat(connections.open()).isZero();
  }
}
