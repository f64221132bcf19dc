package dev.lanyard.demo.workloads;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLSession;

/**
 * POSTs JSON with {@code HttpClient.newHttpClient()}: the JVM's defaults, nothing Lanyard-specific.
 * The identity of whoever answered comes from the response's TLS session.
 */
public final class MeshClient {
  /**
   * @param peerId the SPIFFE ID the server presented (verified in the handshake)
   * @param ownId the SPIFFE ID this client presented
   */
  public record Reply(int status, Map<String, Object> body, String peerId, String ownId) {}

  private final HttpClient client = HttpClient.newHttpClient();

  /** Sends {@code body}; a failed connection or handshake becomes an {@link IOException}. */
  public Reply post(String url, Map<String, Object> body, Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
    headers.forEach(request::header);
    HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    SSLSession session = response.sslSession().orElse(null);
    Map<String, Object> parsed;
    try {
      parsed = Json.parseObject(response.body());
    } catch (IllegalArgumentException e) {
      parsed = Json.object("raw", response.body().strip());
    }
    return new Reply(response.statusCode(), parsed, SpiffeIds.peer(session), SpiffeIds.local(session));
  }

  public Reply post(String url, Map<String, Object> body) throws IOException, InterruptedException {
    return post(url, body, Map.of());
  }

  /** The exception's message chain in one line, for error answers. */
  public static String describe(Throwable error) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (out.length() > 0) {
        out.append(": ");
      }
      out.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
      if (t.getCause() == t) {
        break;
      }
    }
    return out.toString();
  }
}
