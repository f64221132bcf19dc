package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.JwtAudiences;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.tls.JwtSender;
import dev.lanyard.tls.MeshDestinations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Feeds the forward proxy's parsing (Netty's decoder, then {@link ProxyRequest}) with garbage:
 * whatever arrives, the proxy never throws and answers, if at all, with one of its own statuses and
 * a {@code lanyard:} sentence. Upstreams are never dialled: the opener refuses, so a request that
 * parses well ends in 502 here.
 *
 * <p>{@code @FuzzTest} runs its stored inputs (src/test/resources/.../ProxyParsingFuzzTestInputs)
 * in a normal build and explores with {@code JAZZER_FUZZ=1}; the seeded random test below runs
 * 5,000 generated requests in every build.
 */
class ProxyParsingFuzzTest {
  private static final MeshDestinations MESH = new MeshDestinations(
      HostGlobs.parse("*.svc,*.cluster.local"), HostGlobs.NONE, MeshCidrs.NONE);
  private static final Pattern PROXY_ANSWER =
      Pattern.compile("^HTTP/1\\.1 (400|403|502) [^\r\n]*\r\n(?s).*\r\n\r\nlanyard: .*");

  /** No LANYARD_JWT_AUDIENCES: parsing is what is fuzzed here. */
  private static final OutboundJwt NO_JWT = new OutboundJwt(new JwtSender(JwtAudiences.NONE, null,
      decision -> { }, Duration.ZERO), JwtAudiences.NONE, null);
  /** Refuses every upstream, the way an unreachable network would. */
  private static final UpstreamOpener NOWHERE = new UpstreamOpener() {
    @Override
    public Future<Channel> mtls(Channel client, HostAndPort destination, Consumer<ChannelPipeline> handlers) {
      return client.eventLoop().newFailedFuture(new IllegalStateException("test: no network"));
    }

    @Override
    public Future<Channel> plain(Channel client, HostAndPort destination, Consumer<ChannelPipeline> handlers) {
      return client.eventLoop().newFailedFuture(new IllegalStateException("test: no network"));
    }
  };

  @FuzzTest(maxDuration = "30s")
  void proxyAnswersAnyBytesSafely(byte[] input) {
    feed(input);
  }

  @Test
  void fiveThousandGeneratedRequestsAllGetASafeAnswer() {
    Random random = new Random(20261125L);
    String[] methods = {"GET", "CONNECT", "POST", "G\u0000T", "", "PUT", "get", "OPTIONS"};
    String[] targets = {"http://a.svc/", "a.svc:443", "example.com:443", "/x", "http://", "*",
        "http://[::1]:80/", "http://x:99999/", "https://h/", "http://h/%zz", "http://u@h/"};
    for (int i = 0; i < 5_000; i++) {
      StringBuilder request = new StringBuilder();
      request.append(methods[random.nextInt(methods.length)]).append(' ');
      request.append(mutate(random, targets[random.nextInt(targets.length)]));
      request.append(random.nextInt(10) == 0 ? " HTTP/9.9" : " HTTP/1.1").append("\r\n");
      int headers = random.nextInt(4);
      for (int h = 0; h < headers; h++) {
        request.append(mutate(random, "Host: a.svc")).append("\r\n");
      }
      if (random.nextInt(20) == 0) {
        request.append("X-Long: ").append("a".repeat(9000)).append("\r\n");
      }
      request.append("\r\n");
      feed(request.toString().getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  @Test
  void commonMistakesGetTheirOwnSentence() {
    assertThat(answer("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"))
        .startsWith("HTTP/1.1 400").contains("origin-form, but this is a forward proxy");
    assertThat(answer("CONNECT db.svc:5432 HTTP/1.1\r\nHost: db.svc\r\n\r\n"))
        .startsWith("HTTP/1.1 403").contains("CONNECT to mesh host db.svc:5432 refused");
    assertThat(answer("GET http://a.svc/ HTTP/1.1\r\nHost: a\r\n" + "X: " + "y".repeat(10_000) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 400").contains("lanyard: malformed HTTP request");
    assertThat(answer("GET http://a.svc/ HTTP/1.1\r\nHost: a\r\n\r\n"))
        .startsWith("HTTP/1.1 502").contains("lanyard: cannot reach a.svc:80");
  }

  private static String mutate(Random random, String text) {
    StringBuilder out = new StringBuilder(text);
    int edits = random.nextInt(3);
    for (int e = 0; e < edits && out.length() > 0; e++) {
      int at = random.nextInt(out.length());
      switch (random.nextInt(3)) {
        case 0 -> out.setCharAt(at, (char) random.nextInt(256));
        case 1 -> out.deleteCharAt(at);
        default -> out.insert(at, (char) random.nextInt(256));
      }
    }
    return out.toString();
  }

  private static String answer(String request) {
    return feed(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Runs one input; fails on any exception or any answer that is not the proxy's own. */
  private static String feed(byte[] input) {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(4096, 8192, 8192),
        new ForwardProxyHandler(NOWHERE, MESH, NO_JWT));
    channel.writeInbound(Unpooled.wrappedBuffer(input));
    channel.runPendingTasks();
    channel.checkException();
    StringBuilder answer = new StringBuilder();
    Object out;
    while ((out = channel.readOutbound()) != null) {
      if (out instanceof ByteBuf buf) {
        answer.append(buf.toString(StandardCharsets.UTF_8));
      }
      ReferenceCountUtil.release(out);
    }
    Object leftover;
    while ((leftover = channel.readInbound()) != null) {
      ReferenceCountUtil.release(leftover);
    }
    channel.finishAndReleaseAll();
    if (answer.length() > 0) {
      assertThat(answer.toString()).matches(PROXY_ANSWER);
    }
    return answer.toString();
  }
}
