package dev.lanyard.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** A GET of a proxy's admin endpoint; status -1 when nothing answers. */
final class AdminHttp {
  private AdminHttp() {}

  record Answer(int status, String body) {}

  static Answer get(String url) {
    try {
      HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
      connection.setConnectTimeout(1_000);
      connection.setReadTimeout(2_000);
      int status = connection.getResponseCode();
      try (InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
        return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      return new Answer(-1, "");
    }
  }
}
