package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The mesh port's HTTP detection and the peer ID header, on an in-memory channel. */
class InboundHttpTest {
  private static final String PEER = "spiffe://lanyard.test/ns/a/sa/caller";

  private static EmbeddedChannel meshConnection() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.attr(PeerIdentity.PEER_ID).set(PEER);
    channel.pipeline().addLast("sniff-http", new HttpSniffer());
    return channel;
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
  }

  @Test
  void httpRequestsGetTheVerifiedPeerIdAndLoseForgedCopies() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("POST /x HTTP/1.1\r\nHost: app\r\nX-Lanyard-Peer-Id: spiffe://forged\r\n"
        + "x-lanyard-peer-id: spiffe://forged2\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n0\r\nX-Lanyard-Peer-Id: spiffe://trailer\r\n\r\n"));

    HttpRequest request = channel.readInbound();
    assertThat(request.headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(PEER);
    Object content = channel.readInbound();
    Object last;
    while (!((last = channel.readInbound()) instanceof LastHttpContent)) {
      io.netty.util.ReferenceCountUtil.release(last);
    }
    io.netty.util.ReferenceCountUtil.release(content);
    assertThat(((LastHttpContent) last).trailingHeaders().contains(PeerIdHeaderHandler.HEADER)).isFalse();
    ((LastHttpContent) last).release();
  }

  @Test
  void aClientsJwtSubjectHeaderNeverPassesInHeadersOrTrailers() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("POST /x HTTP/1.1\r\nHost: app\r\nX-Lanyard-Jwt-Subject: spiffe://forged\r\n"
        + "x-lanyard-jwt-subject: spiffe://forged2\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n0\r\nX-LANYARD-JWT-SUBJECT: spiffe://trailer\r\n\r\n"));

    HttpRequest request = channel.readInbound();
    assertThat(request.headers().contains(InboundJwtHandler.HEADER)).isFalse();
    Object last;
    while (!((last = channel.readInbound()) instanceof LastHttpContent)) {
      io.netty.util.ReferenceCountUtil.release(last);
    }
    assertThat(((LastHttpContent) last).trailingHeaders().contains(InboundJwtHandler.HEADER)).isFalse();
    ((LastHttpContent) last).release();
  }

  @Test
  void everyRequestOnAKeepAliveConnectionIsLabelled() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n"
        + "X-LANYARD-PEER-ID: spiffe://forged\r\n\r\n"));
    int labelled = 0;
    Object msg;
    while ((msg = channel.readInbound()) != null) {
      if (msg instanceof HttpRequest request) {
        assertThat(request.headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(PEER);
        labelled++;
      }
      io.netty.util.ReferenceCountUtil.release(msg);
    }
    assertThat(labelled).isEqualTo(2);
  }

  @Test
  void nonHttpBytesPassUntouched() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("\u0016\u0003\u0001binary"));
    ByteBuf out = channel.readInbound();
    assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0016\u0003\u0001binary");
    out.release();
    assertThat(channel.pipeline().get(HttpSniffer.class)).isNull();
  }

  @Test
  void waitsForEnoughBytesToDecide() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("PO"));
    Object nothingYet = channel.readInbound();
    assertThat(nothingYet).isNull();
    channel.writeInbound(bytes("ST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
    HttpRequest request = channel.readInbound();
    assertThat(request.headers().get(PeerIdHeaderHandler.HEADER)).isEqualTo(PEER);
  }

  @Test
  void aMalformedRequestIsAnswered400AndNeverForwarded() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));
    Object forwarded;
    while ((forwarded = channel.readInbound()) != null) {
      assertThat(forwarded).isNotInstanceOf(HttpRequest.class);
      io.netty.util.ReferenceCountUtil.release(forwarded);
    }
    ByteBuf response = channel.readOutbound();
    assertThat(response.toString(StandardCharsets.UTF_8)).startsWith("HTTP/1.1 400")
        .contains("lanyard: malformed HTTP request");
    response.release();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void anUpgradeRequestIsLabelledThenTheConnectionTurnsRaw() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nX-Lanyard-Peer-Id: spiffe://forged\r\n\r\n\u0081\u0005hello"));

    HttpRequest request = channel.readInbound();
    assertThat(request.headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(PEER);
    // An app that declines the upgrade closes after answering: no unlabelled request can follow.
    assertThat(request.headers().get("Connection")).isEqualTo("Upgrade, close");
    Object end = channel.readInbound();
    assertThat(end).isInstanceOf(LastHttpContent.class);
    ByteBuf frame = channel.readInbound();
    assertThat(frame.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0005hello");
    frame.release();
    channel.writeInbound(bytes("GET / HTTP/1.1\r\n\r\n"));
    ByteBuf raw = channel.readInbound();
    assertThat(raw.toString(StandardCharsets.ISO_8859_1)).startsWith("GET / HTTP/1.1");
    raw.release();
  }
}
