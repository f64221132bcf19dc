package dev.lanyard.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** GETs a workload's admin endpoint (plain HTTP on loopback) from the test JVM. */
final class Admin {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  private Admin() {}

  static HttpResponse<String> get(String adminAddress, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + adminAddress + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("admin endpoint " + adminAddress + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The number after {@code "rotation_count":} in /identity. */
  static long rotationCount(String adminAddress) {
    String body = get(adminAddress, "/identity").body();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"rotation_count\"\\s*:\\s*(\\d+)")
        .matcher(body);
    if (!m.find()) {
      throw new AssertionError("no rotation_count in /identity: " + body);
    }
    return Long.parseLong(m.group(1));
  }
}
