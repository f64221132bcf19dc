package dev.lanyard.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.PeerCeiling;
import dev.lanyard.webhook.inject.PodInjector;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Runs the admission path on a built-in review of a JVM + non-JVM pod before the webhook reports
 * ready, so the JIT has compiled Jackson, fabric8 and zjsonpatch before the apiserver's first
 * call. A cold JVM answers its first admissions in hundreds of milliseconds (and burns a core
 * compiling), which is how webhooks with a few seconds' {@code timeoutSeconds} refuse pods right
 * after a rollout. The warm-up has its own metrics and no events: {@code /metrics} counts real
 * admissions only.
 */
public final class JitWarmup {
  static final String REVIEW_RESOURCE = "warmup-review.json";

  /** What one warm-up did. */
  public record Result(int admissions, Duration took, boolean injected) {}

  private final AdmissionHandler handler;
  private final byte[] review;
  private final LongSupplier nanoTime;

  public JitWarmup(PodInjector injector) {
    this(
        new AdmissionHandler(injector, new WebhookMetrics(), InjectionEvents.NONE),
        withinCeiling(builtInReview(), PeerCeiling.of(injector.config().ceiling())),
        System::nanoTime);
  }

  /**
   * The built-in pod without its allowed-peers annotation when that lies outside the operator's
   * ceiling: refused, it would exercise the refusal instead of the injection path (and log 3000
   * refusals). Without it the pod gets the ceiling, which is the path most pods take then.
   */
  static byte[] withinCeiling(byte[] review, PeerCeiling ceiling) {
    try {
      ObjectMapper json = new ObjectMapper();
      JsonNode tree = json.readTree(review);
      JsonNode annotations = tree.at("/request/object/metadata/annotations");
      JsonNode peers = annotations.path(LanyardNames.ALLOWED_PEERS);
      String namespace = tree.at("/request/namespace").asText();
      if (!peers.isTextual()
          || ceiling.violation(peers.asText(), "warm-up", namespace).isEmpty()) {
        return review;
      }
      ((ObjectNode) annotations).remove(LanyardNames.ALLOWED_PEERS);
      return json.writeValueAsBytes(tree);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the built-in " + REVIEW_RESOURCE, e);
    }
  }

  JitWarmup(AdmissionHandler handler, byte[] review, LongSupplier nanoTime) {
    this.handler = handler;
    this.review = review;
    this.nanoTime = nanoTime;
  }

  /**
   * Up to {@code admissions} admissions, stopping early at {@code budget} so a slow machine is
   * not kept unready for long.
   */
  public Result run(int admissions, Duration budget) {
    long start = nanoTime.getAsLong();
    long deadline = start + budget.toNanos();
    boolean injected = false;
    int done = 0;
    while (done < admissions && nanoTime.getAsLong() - deadline < 0) {
      HttpReply reply = handler.handle("application/json", review);
      // The built-in pod must be injected: if it is not, the warm-up exercised the wrong path.
      injected = reply.status() == 200 && containsPatch(reply.body());
      done++;
    }
    return new Result(done, Duration.ofNanos(nanoTime.getAsLong() - start), injected);
  }

  private static boolean containsPatch(byte[] body) {
    return new String(body, java.nio.charset.StandardCharsets.UTF_8).contains("\"patch\"");
  }

  static byte[] builtInReview() {
    try (InputStream in = JitWarmup.class.getResourceAsStream(REVIEW_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(REVIEW_RESOURCE + " is missing from the webhook jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
