package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An HTTP mesh port's request handling and identity headers, on an in-memory channel. */
class InboundHttpTest {
  private static final String PEER = "spiffe://lanyard.test/ns/a/sa/caller";

  private static final InboundRoute ROUTE = new InboundRoute(8443, 8080, false);

  private UpgradeTracker tracker;

  private EmbeddedChannel meshConnection() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.attr(PeerIdentity.PEER_ID).set(PEER);
    tracker = new UpgradeTracker(channel);
    channel.pipeline().addLast("sniff-http", new HttpSniffer(ROUTE, null, tracker));
    return channel;
  }

  /** What the app side does with a request relayed to it: tells the tracker. */
  private void relayToApp(HttpRequest request) {
    assertThat(tracker.sent(request)).isTrue();
  }

  private static String readOutbound(EmbeddedChannel channel) {
    StringBuilder text = new StringBuilder();
    ByteBuf out;
    while ((out = channel.readOutbound()) != null) {
      text.append(out.toString(StandardCharsets.ISO_8859_1));
      out.release();
    }
    return text.toString();
  }

  private static List<Object> readAllInbound(EmbeddedChannel channel) {
    List<Object> all = new ArrayList<>();
    Object msg;
    while ((msg = channel.readInbound()) != null) {
      all.add(msg);
    }
    return all;
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
  void nonHttpBytesAreAnswered400WithTheReasonAndNeverRelayed() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("\u0016\u0003\u0001binary"));

    assertThat((Object) channel.readInbound()).isNull();
    assertThat(readOutbound(channel)).startsWith("HTTP/1.1 400")
        .contains("not an HTTP/1.1 request on mesh port 8443 (first bytes: \"\\x16\\x03\\x01binary\")")
        .contains("LANYARD_INBOUND=8443:8080/tcp");
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void anyMethodTokenIsParsedAndLabelled() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("PURGE /x HTTP/1.1\r\nHost: a\r\nX-Lanyard-Peer-Id: spiffe://forged\r\n\r\n"
        + "M-SEARCH * HTTP/1.1\r\nHost: a\r\nX-Lanyard-Peer-Id: spiffe://forged\r\n\r\n"));

    List<Object> relayed = readAllInbound(channel);
    List<HttpRequest> requests = relayed.stream().filter(HttpRequest.class::isInstance)
        .map(HttpRequest.class::cast).toList();
    assertThat(requests).extracting(r -> r.method().name()).containsExactly("PURGE", "M-SEARCH");
    assertThat(requests).allSatisfy(r ->
        assertThat(r.headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(PEER));
    relayed.forEach(io.netty.util.ReferenceCountUtil::release);
  }

  @Test
  void anHttp2PrefaceIsRefusedWithGoAwayAndNothingIsRelayed() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes(HttpSniffer.H2_PREFACE + "\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u0000\u0000"));

    assertThat((Object) channel.readInbound()).isNull();
    String sent = readOutbound(channel);
    // SETTINGS (empty), then GOAWAY: last stream 0, HTTP_1_1_REQUIRED, the reason as debug data.
    assertThat(sent).startsWith("\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u0000\u0000");
    assertThat(sent.substring(9, 26)).endsWith("\u0007" + "\u0000".repeat(12) + "\r");
    assertThat(sent).contains("lanyard: HTTP/2 is not relayed on mesh port 8443");
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aPrefaceLikeMethodThatIsNotThePrefaceIsHttp1() {
    ByteBuf partial = bytes("PRI * HTTP/2");
    assertThat(HttpSniffer.classify(partial)).isEqualTo(HttpSniffer.Verdict.NEED_MORE);
    ByteBuf other = bytes("PRI /x HTTP/1.1\r\n");
    assertThat(HttpSniffer.classify(other)).isEqualTo(HttpSniffer.Verdict.HTTP1);
    ByteBuf tooLong = bytes("A".repeat(HttpSniffer.MAX_METHOD_LENGTH + 1));
    assertThat(HttpSniffer.classify(tooLong)).isEqualTo(HttpSniffer.Verdict.NOT_HTTP);
    partial.release();
    other.release();
    tooLong.release();
  }

  @Test
  void otherMeshesIdentityHeadersNeverPass() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Client-Cert: URI=spiffe://forged\r\n"
        + "l5d-client-id: forged\r\nL5D-SERVER-ID: forged\r\nl5d-remote-ip: 10.0.0.1\r\n\r\n"));

    HttpRequest request = channel.readInbound();
    assertThat(request.headers().names()).noneMatch(name -> name.toLowerCase().startsWith("l5d-"));
    // No TLS session on this test channel: none is set, and the client's copy is gone.
    assertThat(request.headers().contains(ForwardedClientCert.HEADER)).isFalse();
    readAllInbound(channel).forEach(io.netty.util.ReferenceCountUtil::release);
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
  void aWebSocketUpgradeHoldsTheNextBytesUntilTheApp101ThenTurnsRaw() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nX-Lanyard-Peer-Id: spiffe://forged\r\n\r\n\u0081\u0005hello"));

    HttpRequest request = channel.readInbound();
    assertThat(request.headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(PEER);
    assertThat(request.headers().get("Connection")).isEqualTo("Upgrade");
    assertThat((Object) channel.readInbound()).isInstanceOf(LastHttpContent.class);
    // Held: the app has not answered yet.
    assertThat((Object) channel.readInbound()).isNull();
    relayToApp(request);

    tracker.answered(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));

    ByteBuf frame = channel.readInbound();
    assertThat(frame.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0005hello");
    frame.release();
    channel.writeInbound(bytes("GET / HTTP/1.1\r\n\r\n"));
    ByteBuf raw = channel.readInbound();
    assertThat(raw.toString(StandardCharsets.ISO_8859_1)).startsWith("GET / HTTP/1.1");
    raw.release();
    assertThat(channel.pipeline().get(PeerIdHeaderHandler.class)).isNull();
  }

  @Test
  void aRequestPipelinedBehindADeclinedUpgradeIsParsedAndLabelled() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n"
        + "X-Lanyard-Peer-Id: spiffe://forged\r\n\r\n"));
    HttpRequest upgrade = channel.readInbound();
    ((LastHttpContent) channel.readInbound()).release();
    assertThat((Object) channel.readInbound()).isNull();
    relayToApp(upgrade);

    tracker.answered(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.UPGRADE_REQUIRED));

    HttpRequest next = channel.readInbound();
    assertThat(next.uri()).isEqualTo("/next");
    assertThat(next.headers().getAll(PeerIdHeaderHandler.HEADER)).containsExactly(PEER);
    readAllInbound(channel).forEach(io.netty.util.ReferenceCountUtil::release);
  }

  @Test
  void anAppThatSwitchesProtocolsForAnotherRequestClosesTheConnection() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    HttpRequest request = channel.readInbound();
    relayToApp(request);

    tracker.answered(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));

    assertThat(channel.isOpen()).isFalse();
    readAllInbound(channel).forEach(io.netty.util.ReferenceCountUtil::release);
  }

  @Test
  void anH2cUpgradeIsRemovedAndTheRequestServedAsHttp11() {
    EmbeddedChannel channel = meshConnection();
    channel.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings, keep-alive\r\n"
        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"));

    List<HttpRequest> requests = readAllInbound(channel).stream().filter(HttpRequest.class::isInstance)
        .map(HttpRequest.class::cast).toList();
    assertThat(requests).hasSize(2);
    HttpRequest first = requests.get(0);
    assertThat(first.headers().contains("Upgrade")).isFalse();
    assertThat(first.headers().contains("HTTP2-Settings")).isFalse();
    assertThat(first.headers().get("Connection")).isEqualTo("keep-alive");
    assertThat(requests.get(1).headers().get(PeerIdHeaderHandler.HEADER)).isEqualTo(PEER);
  }

  @Test
  void connectAndHttp2VersionsAreRefused() {
    EmbeddedChannel connect = meshConnection();
    connect.writeInbound(bytes("CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n"));
    assertThat(readAllInbound(connect)).noneMatch(HttpRequest.class::isInstance);
    assertThat(readOutbound(connect)).startsWith("HTTP/1.1 405")
        .contains("CONNECT from " + PEER + " refused");

    EmbeddedChannel pipelined = meshConnection();
    pipelined.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n" + HttpSniffer.H2_PREFACE));
    List<Object> relayed = readAllInbound(pipelined);
    assertThat(relayed.stream().filter(HttpRequest.class::isInstance)).hasSize(1);
    assertThat(readOutbound(pipelined)).startsWith("HTTP/1.1 505").contains("HTTP/2.0 request from " + PEER);
    relayed.forEach(io.netty.util.ReferenceCountUtil::release);
  }
}
