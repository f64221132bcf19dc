package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The audit records (JSON lines on stderr, docs/AUDIT.md) in a process's output, parsed, and the
 * assertions every refusal test makes about them: one record per refusal, with result, reason,
 * the peer's SPIFFE ID and the attestation from the Downward API variables.
 */
public final class AuditRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The Downward API variables the webhook sets, with test values. */
  public static final Map<String, String> DOWNWARD_API = Map.of(
      "LANYARD_POD_NAME", "caller-7f9a3c", "LANYARD_POD_NAMESPACE", "agents",
      "LANYARD_NODE_NAME", "node-1", "LANYARD_SERVICE_ACCOUNT", "caller");

  private AuditRecords() {}

  /** Every audit record in {@code output}; each line must parse as a JSON object. */
  public static List<JsonNode> in(String output) {
    return output.lines().filter(line -> line.contains("{\"timestamp\""))
        .map(line -> {
          try {
            JsonNode node = JSON.readTree(line.substring(line.indexOf("{\"timestamp\"")));
            assertThat(node.isObject()).as(line).isTrue();
            return node;
          } catch (IOException e) {
            throw new UncheckedIOException("audit line is not JSON: " + line, e);
          }
        })
        .collect(Collectors.toList());
  }

  public static List<JsonNode> in(String output, Predicate<JsonNode> filter) {
    return in(output).stream().filter(filter).collect(Collectors.toList());
  }

  public static Predicate<JsonNode> action(String action) {
    return node -> action.equals(node.path("action").asText());
  }

  /** Asserts the one refusal record: result, reason, the peer's ID when given, attestation. */
  /**
   * When a full handshake ({@code action}, e.g. {@code tls.connect}) first saw the peer serial
   * {@code serial}, waiting until {@code since + bound}; resumed connections make no record, so
   * this can lag the SVID's arrival.
   */
  public static Instant firstUse(Supplier<String> output, String action, String serial,
      Instant since, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime()
        + Duration.between(Instant.now(), since.plus(bound)).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Instant> first = in(output.get(), action(action)).stream()
          .filter(node -> serial.equals(node.path("peer_serial").asText()))
          .map(node -> Instant.parse(node.path("timestamp").asText())).min(Instant::compareTo);
      if (first.isPresent()) {
        assertThat(first.get()).isAfter(since);
        return first.get();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + action + " audit record with peer_serial " + serial
        + " within " + bound + " of " + since);
  }

  public static JsonNode assertOneRefusal(String output, String action, String peerSpiffeId) {
    List<JsonNode> refusals = in(output, action(action).and(
        node -> !node.path("result").asText().equals("allowed")));
    assertThat(refusals).as("refusal audit records in:\n" + output).hasSize(1);
    JsonNode record = refusals.get(0);
    assertThat(record.path("result").asText()).isEqualTo("denied");
    assertThat(record.path("reason").asText()).isNotBlank();
    if (peerSpiffeId != null) {
      assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(peerSpiffeId);
    } else {
      assertThat(record.has("peer_spiffe_id")).as(record.toString()).isFalse();
    }
    assertAttestation(record);
    return record;
  }

  /**
   * {@link #assertOneRefusal} on what a long-running process wrote after {@code mark} (the length
   * of its output before the refused call), waiting up to 10 s for the record, and briefly longer
   * for a duplicate that must not come.
   */
  public static JsonNode assertOneRefusalSince(Supplier<String> output, int mark, String action,
      String peerSpiffeId) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    Predicate<JsonNode> refusal = action(action).and(
        node -> !node.path("result").asText().equals("allowed"));
    while (in(output.get().substring(mark), refusal).isEmpty() && System.nanoTime() < deadline) {
      pause(50);
    }
    pause(300);
    return assertOneRefusal(output.get().substring(mark), action, peerSpiffeId);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * For a client that retries (the JDK HttpClient tries a failed GET twice): exactly one refusal
   * record per refused connection, as many as the lanyard refusal lines, each as in {@link
   * #assertOneRefusal}.
   */
  public static void assertOneRefusalPerConnection(String output, String action, String peerSpiffeId) {
    List<JsonNode> refusals = in(output, action(action).and(
        node -> !node.path("result").asText().equals("allowed")));
    java.util.Set<String> refusedAt = new java.util.TreeSet<>();
    java.util.regex.Matcher lines = java.util.regex.Pattern
        .compile("lanyard: refused \\S+ TLS \\S+ peer \\S+ at (\\S+)").matcher(output);
    while (lines.find()) {
      refusedAt.add(lines.group(1));
    }
    assertThat(refusals).as("refusal audit records in:\n" + output).isNotEmpty();
    assertThat(refusals.stream().map(node -> node.path("resource").asText()))
        .as("one record per refused connection").doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(refusedAt);
    for (JsonNode record : refusals) {
      assertThat(record.path("result").asText()).isEqualTo("denied");
      assertThat(record.path("reason").asText()).isNotBlank();
      assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(peerSpiffeId);
      assertAttestation(record);
    }
  }

  /** The attestation object carries the Downward API values. */
  public static void assertAttestation(JsonNode record) {
    JsonNode attestation = record.path("attestation");
    assertThat(attestation.path("platform").asText()).as(record.toString()).isEqualTo("kubernetes");
    assertThat(attestation.path("pod").asText()).isEqualTo("caller-7f9a3c");
    assertThat(attestation.path("namespace").asText()).isEqualTo("agents");
    assertThat(attestation.path("node").asText()).isEqualTo("node-1");
    assertThat(attestation.path("service_account").asText()).isEqualTo("caller");
  }
}
