package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code LANYARD_INBOUND} (pod annotation {@code lanyard.dev/inbound}): the sidecar's mesh ports,
 * a comma list of {@code <meshPort>:<appPort>[/tcp|/http]}: mTLS on the mesh port, plain to {@code
 * 127.0.0.1:appPort}; HTTP with identity headers by default, {@code /tcp} for raw bytes without
 * them. The sidecar serves them; the webhook judges the annotation and keeps Lanyard's own ports
 * out of them.
 */
public final class InboundPorts {
  public static final String RAW_SUFFIX = "/tcp";
  public static final String HTTP_SUFFIX = "/http";

  private InboundPorts() {}

  /** One entry: mTLS on {@code meshPort}, plain to {@code 127.0.0.1:appPort}; {@code raw}: {@code /tcp}. */
  public static final class Entry {
    private final int meshPort;
    private final int appPort;
    private final boolean raw;

    Entry(int meshPort, int appPort, boolean raw) {
      this.meshPort = meshPort;
      this.appPort = appPort;
      this.raw = raw;
    }

    public int meshPort() {
      return meshPort;
    }

    public int appPort() {
      return appPort;
    }

    public boolean raw() {
      return raw;
    }

    @Override
    public String toString() {
      return meshPort + ":" + appPort + (raw ? RAW_SUFFIX : "");
    }
  }

  /** Parses the whole value; every error names the entry, the rule and an example. */
  public static List<Entry> parse(String text) {
    List<Entry> entries = new ArrayList<>();
    Set<Integer> meshPorts = new HashSet<>();
    for (String item : CommaList.entries(text)) {
      Entry entry = entry(item).orElseThrow(() -> new IllegalArgumentException("entry \"" + item
          + "\" is not meshPort:appPort with ports in 1-65535, optionally followed by /tcp (raw"
          + " TCP, no identity headers) or /http (the default); write e.g. 8443:8080,15432:5432/tcp"));
      if (entry.meshPort == entry.appPort) {
        throw new IllegalArgumentException("entry \"" + item + "\" uses port " + entry.meshPort
            + " for mesh and app, and the sidecar and the app cannot both listen on it; give the"
            + " mesh its own port, e.g. 8443:8080");
      }
      if (!meshPorts.add(entry.meshPort)) {
        throw new IllegalArgumentException("mesh port " + entry.meshPort + " is listed twice");
      }
      entries.add(entry);
    }
    return Collections.unmodifiableList(entries);
  }

  /** The well-formed entries of {@code text}, the others skipped (the webhook's port bookkeeping). */
  public static List<Entry> wellFormed(String text) {
    List<Entry> entries = new ArrayList<>();
    for (String part : text.split(",")) {
      entry(part.trim()).ifPresent(entries::add);
    }
    return entries;
  }

  private static Optional<Entry> entry(String item) {
    boolean raw = endsWithIgnoreCase(item, RAW_SUFFIX);
    String ports = raw || endsWithIgnoreCase(item, HTTP_SUFFIX)
        ? item.substring(0, item.lastIndexOf('/')) : item;
    String[] parts = ports.split(":", -1);
    int meshPort = parts.length == 2 ? port(parts[0]) : -1;
    int appPort = parts.length == 2 ? port(parts[1]) : -1;
    return meshPort < 1 || appPort < 1 ? Optional.empty()
        : Optional.of(new Entry(meshPort, appPort, raw));
  }

  private static boolean endsWithIgnoreCase(String text, String suffix) {
    return text.regionMatches(true, text.length() - suffix.length(), suffix, 0, suffix.length());
  }

  private static int port(String raw) {
    String text = raw.trim();
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int port = Integer.parseInt(text);
    return port <= 65535 ? port : -1;
  }
}
