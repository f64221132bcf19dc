package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** What the forward proxy tells the app about the server it reached, on in-memory channels. */
class ResponseRelayTest {
  private static final String SERVER = "spiffe://lanyard.test/ns/b/sa/server";

  private static HttpResponse relay(String verifiedServerId) {
    EmbeddedChannel client = new EmbeddedChannel();
    EmbeddedChannel upstream = new EmbeddedChannel();
    if (verifiedServerId != null) {
      upstream.attr(PeerIdentity.PEER_ID).set(verifiedServerId);
    }
    ProxyExchange exchange = new ProxyExchange();
    exchange.outstanding = 1;
    upstream.pipeline().addLast(new ResponseRelay(client, exchange));
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    response.headers().add(PeerIdHeaderHandler.HEADER, "spiffe://forged/by/the/server");
    response.headers().add("x-lanyard-peer-id", "spiffe://forged/again");
    response.headers().set("Content-Length", 0);
    upstream.writeInbound(response);
    HttpResponse relayed = client.readOutbound();
    client.finishAndReleaseAll();
    upstream.finishAndReleaseAll();
    return relayed;
  }

  @Test
  void aMeshResponseCarriesOnlyTheServersVerifiedId() {
    assertThat(relay(SERVER).headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(SERVER);
  }

  @Test
  void aPlainUpstreamCannotClaimAnIdentity() {
    assertThat(relay(null).headers().contains(PeerIdHeaderHandler.HEADER)).isFalse();
  }
}
