package dev.lanyard.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version this jar was built as (Maven fills {@code version.properties}). */
public final class LanyardVersion {
  private static final String VERSION = load();

  private LanyardVersion() {}

  public static String current() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = LanyardVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read version.properties from the jar", e);
    }
  }
}
