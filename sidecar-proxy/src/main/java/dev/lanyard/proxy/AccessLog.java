package dev.lanyard.proxy;

import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON line per closed connection on stdout (audit records, from spiffe-tls, go to stderr):
 * listener, direction, client, upstream, verified peer SPIFFE ID, bytes each way, duration and
 * why it closed; the same figures summed in {@link ConnectionMetrics}.
 */
final class AccessLog {
  private final PrintStream out;
  private final ConnectionMetrics metrics;

  AccessLog(PrintStream out, ConnectionMetrics metrics) {
    this.out = out;
    this.metrics = metrics;
  }

  ConnectionMetrics metrics() {
    return metrics;
  }

  void opened(ConnectionRecord record) {
    metrics.opened(record);
  }

  void write(ConnectionRecord record) {
    long durationNanos = System.nanoTime() - record.startNanos;
    metrics.closed(record, durationNanos);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("ts", Instant.ofEpochMilli(record.startMillis).toString());
    line.put("type", "lanyard.access");
    line.put("listener", record.listener);
    line.put("direction", record.direction);
    line.put("client", record.client);
    line.put("upstream", record.upstream);
    line.put("peer_spiffe_id", record.peerSpiffeId);
    line.put("bytes_in", record.bytesFromClient.get());
    line.put("bytes_out", record.bytesToClient.get());
    line.put("duration_ms", durationNanos / 1_000_000);
    line.put("close", record.closeReason == null ? "normal" : record.closeReason);
    out.println(toJson(line));
  }

  static String toJson(Map<String, Object> fields) {
    StringBuilder json = new StringBuilder("{");
    for (Map.Entry<String, Object> field : fields.entrySet()) {
      if (field.getValue() == null) {
        continue;
      }
      if (json.length() > 1) {
        json.append(',');
      }
      quote(json, field.getKey());
      json.append(':');
      if (field.getValue() instanceof Number) {
        json.append(field.getValue());
      } else {
        quote(json, field.getValue().toString());
      }
    }
    return json.append('}').toString();
  }

  private static void quote(StringBuilder json, String text) {
    json.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20 || c == 0x2028 || c == 0x2029) {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    json.append('"');
  }
}
