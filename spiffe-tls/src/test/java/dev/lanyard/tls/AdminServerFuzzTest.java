package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw bytes (request lines, headers, odd methods, huge or malformed query strings) sent over TCP to
 * the real admin server ({@link AdminServer} on 127.0.0.1, an ephemeral port), with its request
 * head parsing ({@link HttpRequestHead}) in front of {@link AdminEndpoints}. Whatever arrives: every
 * answer is well-formed HTTP/1.1, never a 5xx other than {@code /ready}'s 503, never a stack trace
 * or key material; a complete request head gets an answer within 5 s; the server keeps serving
 * {@code GET /ready}.
 *
 * <p>Input: the bytes as sent, the client half-closing after them; see {@code
 * AdminServerFuzzTestInputs/}.
 */
class AdminServerFuzzTest {
  private static final AdminServer SERVER = start();
  private static final AtomicLong RUNS = new AtomicLong();
  private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 ([1-5][0-9][0-9])( [^\r\n]*)?");
  private static final Pattern HEADER = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+: ?[^\r\n]*");

  private static AdminServer start() {
    try {
      return AdminServer.start(new InetSocketAddress("127.0.0.1", 0), AdminEndpointsFuzzTest.endpoints(true));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "2m")
  void serverAnswersAnyRequestBytes(byte[] input) throws IOException {
    // The test's own connections to the admin server, nothing else (Jazzer's SSRF detector).
    try (SilentCloseable allowed = BugDetectors.allowNetworkConnections(
        (host, port) -> port == SERVER.address().getPort())) {
      serve(input);
    }
  }

  private static void serve(byte[] input) throws IOException {
    String answer = exchange(input);
    if (completeHead(input)) {
      assertThat(answer).as("no answer to a complete request head").isNotEmpty();
    }
    if (!answer.isEmpty()) {
      checkResponse(answer, new String(input, StandardCharsets.ISO_8859_1));
    }
    if (RUNS.incrementAndGet() % 50 == 0) {
      assertThat(exchange("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
          .as("server stopped serving").startsWith("HTTP/1.1 200 ");
    }
  }

  /** Sends, half-closes, reads until the server closes; a read that stalls 5 s fails the input. */
  private static String exchange(byte[] input) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(SERVER.address(), 2_000);
      socket.setSoTimeout(5_000);
      try {
        socket.getOutputStream().write(input);
        socket.shutdownOutput();
      } catch (IOException e) {
        // The server may answer and close before reading everything (e.g. a bad request line).
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          answer.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no end of answer within 5 s; so far: "
            + answer.toString(StandardCharsets.ISO_8859_1), e);
      } catch (IOException e) {
        // Reset by the server after its answer: what arrived is still checked.
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** A request line of three tokens and a blank line after the headers: a request that must be answered. */
  private static boolean completeHead(byte[] input) {
    String text = new String(input, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    return end > 0 && text.substring(0, text.indexOf("\r\n")).matches("[A-Z]+ /[!-~]* HTTP/1\\.[01]");
  }

  /** Every response in the answer: a status line, well-formed headers, a clean body. */
  private static void checkResponse(String answer, String request) {
    int at = 0;
    while (at < answer.length()) {
      int headEnd = answer.indexOf("\r\n\r\n", at);
      assertThat(headEnd).as("response head never ends: %s", answer).isGreaterThan(at);
      String[] head = answer.substring(at, headEnd).split("\r\n");
      Matcher status = STATUS_LINE.matcher(head[0]);
      assertThat(status.matches()).as("status line %s", head[0]).isTrue();
      int code = Integer.parseInt(status.group(1));
      long length = 0;
      for (int i = 1; i < head.length; i++) {
        assertThat(head[i]).as("header line").matches(HEADER);
        if (head[i].toLowerCase().startsWith("content-length:")) {
          length = Long.parseLong(head[i].substring("content-length:".length()).trim());
        }
      }
      int bodyStart = headEnd + 4;
      int bodyEnd = (int) Math.min(answer.length(), bodyStart + length);
      String body = answer.substring(bodyStart, bodyEnd);
      if (code >= 500) {
        assertThat(code).as("5xx answer: %s", answer).isEqualTo(503);
        assertThat(body).startsWith("not ready");
      }
      AdminEndpointsFuzzTest.assertNoSecretsOrTraces(body, echoes(request));
      at = bodyEnd;
    }
  }

  /** The request's tokens, raw and decoded, which 400/404/405 messages may quote back. */
  private static String[] echoes(String request) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    for (String line : request.split("\r?\n")) {
      for (String token : line.split(" ")) {
        parts.add(token);
        try {
          URI uri = new URI(token);
          parts.add(uri.getPath());
          parts.add(uri.getRawQuery());
        } catch (URISyntaxException e) {
          // not a URI: only the raw token can be echoed
        }
      }
    }
    parts.sort((a, b) -> Integer.compare(b == null ? 0 : b.length(), a == null ? 0 : a.length()));
    return parts.toArray(new String[0]);
  }
}
