package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The app's answers on an HTTP mesh connection, read along by {@link AppResponseWatcher} while
 * they are relayed unchanged: only the {@code 101} that answers the WebSocket upgrade itself turns
 * the connection raw, however the answers are framed and however the app's bytes arrive in reads.
 */
class AppResponseWatcherTest {
  private static final String PEER = "spiffe://lanyard.test/ns/a/sa/caller";
  private static final InboundRoute ROUTE = new InboundRoute(8443, 8080, false);

  /** Three ordinary requests pipelined before a WebSocket upgrade: GET, HEAD, GET. */
  private static final String REQUESTS = "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n"
      + "HEAD /head HTTP/1.1\r\nHost: a\r\n\r\n"
      + "GET /echo HTTP/1.1\r\nHost: a\r\n\r\n"
      + "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

  /**
   * Their answers: chunked with a trailer; a HEAD answer announcing a body it does not carry; a
   * body that looks like a 101 (an echo endpoint could be made to send one); then the real 101.
   */
  private static final String ANSWERS = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      + "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"
      + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
      + "HTTP/1.1 200 OK\r\nContent-Length: 36\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n"
      + "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

  /** The client's side (labels requests, holds what follows the upgrade) and the app's side. */
  private record Connection(EmbeddedChannel client, EmbeddedChannel app, UpgradeTracker tracker) {
    boolean raw() {
      return client.pipeline().get(HttpStage.DECODER) == null;
    }
  }

  private static Connection connectionWithRequestsSent(String requests) {
    EmbeddedChannel client = new EmbeddedChannel();
    client.attr(PeerIdentity.PEER_ID).set(PEER);
    UpgradeTracker tracker = new UpgradeTracker(client);
    client.pipeline().addLast("sniff-http", new HttpSniffer(ROUTE, null, tracker));
    client.writeInbound(bytes(requests));
    Object msg;
    while ((msg = client.readInbound()) != null) {
      if (msg instanceof HttpRequest request) {
        assertThat(tracker.sent(request)).isTrue();
      }
      ReferenceCountUtil.release(msg);
    }
    return new Connection(client, new EmbeddedChannel(new AppResponseWatcher(tracker)), tracker);
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
  }

  /** Writes {@code answers} to the app side in reads split at {@code cuts}; returns what was relayed. */
  private static String answer(Connection connection, String answers, int... cuts) {
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : answers.length();
      connection.app().writeInbound(bytes(answers.substring(from, to)));
      from = to;
    }
    StringBuilder relayed = new StringBuilder();
    ByteBuf out;
    while ((out = connection.app().readInbound()) != null) {
      relayed.append(out.toString(StandardCharsets.ISO_8859_1));
      out.release();
    }
    return relayed.toString();
  }

  @Test
  void onlyTheAnswerToTheUpgradeTurnsTheConnectionRawWhereverTheReadsSplitTheBytes() {
    for (int cut = 1; cut < ANSWERS.length(); cut++) {
      Connection connection = connectionWithRequestsSent(REQUESTS);
      int before101 = ANSWERS.lastIndexOf("HTTP/1.1 101");

      String relayed = answer(connection, ANSWERS.substring(0, before101), Math.min(cut, before101 - 1));
      assertThat(connection.raw()).as("raw before the 101, cut at %d", cut).isFalse();
      relayed += answer(connection, ANSWERS.substring(before101));

      assertThat(relayed).as("relayed unchanged, cut at %d", cut).isEqualTo(ANSWERS);
      assertThat(connection.raw()).as("raw after the 101, cut at %d", cut).isTrue();
      assertThat(connection.client().isOpen()).isTrue();
    }
  }

  @Test
  void aHeadSplitAcrossEveryByteIsStillFollowed() {
    Connection connection = connectionWithRequestsSent(REQUESTS);
    int[] everyByte = new int[ANSWERS.length() - 1];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = i + 1;
    }

    assertThat(answer(connection, ANSWERS, everyByte)).isEqualTo(ANSWERS);
    assertThat(connection.raw()).isTrue();
  }

  @Test
  void aDeclinedUpgradeResumesParsingAndTheConnectionStaysHttp() {
    Connection connection = connectionWithRequestsSent(REQUESTS);
    String declined = ANSWERS.substring(0, ANSWERS.lastIndexOf("HTTP/1.1 101"))
        + "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n";

    assertThat(answer(connection, declined, 10, 200)).isEqualTo(declined);
    assertThat(connection.raw()).isFalse();
    assertThat(connection.client().isOpen()).isTrue();
  }

  @Test
  void a101ToARequestThatAskedForNoUpgradeClosesTheClientConnection() {
    Connection connection = connectionWithRequestsSent("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

    answer(connection, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");

    assertThat(connection.client().isOpen()).isFalse();
  }

  @Test
  void answersThatCannotBeParsedRefuseALaterUpgrade() {
    Connection connection = connectionWithRequestsSent("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    answer(connection, "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n");
    assertThat(connection.client().isOpen()).isTrue();

    connection.client().writeInbound(bytes(
        "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
    List<Object> relayed = new ArrayList<>();
    Object msg;
    while ((msg = connection.client().readInbound()) != null) {
      relayed.add(msg);
    }
    // The app side would refuse to send it (AppRequestEncoder), and the connection closes.
    HttpRequest upgrade = (HttpRequest) relayed.get(0);
    assertThat(connection.tracker().sent(upgrade)).isFalse();
    assertThat(connection.client().isOpen()).isFalse();
    relayed.forEach(ReferenceCountUtil::release);
  }
}
