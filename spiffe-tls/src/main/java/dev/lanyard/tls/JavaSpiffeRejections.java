package dev.lanyard.tls;

import io.spiffe.exception.InvalidSpiffeIdException;
import io.spiffe.exception.X509ContextException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tells java-spiffe's "I could not decode this update" apart from a broken stream.
 *
 * <p>java-spiffe decodes each {@code X509SVIDResponse} before we see it. When that fails (an
 * empty SVID list, bytes that are not DER, a key it cannot read, a leaf that is a CA or has two
 * URI SANs) it calls the watcher's {@code onError} with {@code X509ContextException("Error
 * processing X.509 Context update", cause)} and leaves the stream open: it is a rejected update,
 * not a stream error, so the source must keep the stream, the last good SVID and its backoff, and
 * log and count the update like one its own validator rejects. Stream errors arrive as {@code
 * "Cancelling X.509 Context watch"} around a gRPC status instead.
 *
 * <p>java-spiffe 0.8.17's messages are mapped to {@link InvalidSvidException.Reason}s;
 * WorkloadApiSvidSourceTest feeds each kind of update through a real java-spiffe client, so a
 * change of wording in a java-spiffe upgrade fails a test instead of a label.
 */
final class JavaSpiffeRejections {
  /** java-spiffe's StreamObservers wraps every decoding failure of an update in this. */
  static final String UPDATE_ERROR = "Error processing X.509 Context update";
  /** gRPC's status of a call cancelled because its response observer threw. */
  static final String FAILED_TO_READ = "CANCELLED: Failed to read message.";
  private static final int MAX_MESSAGE = 400;

  private JavaSpiffeRejections() {}

  /** The rejected update {@code error} reports, or empty when it is a stream error. */
  static Optional<InvalidSvidException> of(Throwable error) {
    if (!(error instanceof X509ContextException) || !UPDATE_ERROR.equals(error.getMessage())) {
      return Optional.empty();
    }
    String causes = causes(error.getCause());
    return Optional.of(new InvalidSvidException(reason(causes),
        "java-spiffe cannot decode the update: " + causes, error));
  }

  /**
   * An update java-spiffe threw an unchecked exception on while decoding it (found: an SVID whose
   * URI SAN is no valid SPIFFE ID, e.g. {@code spiffe://td/ns//x}). That escapes its stream
   * observer, and gRPC cancels the call with {@code CANCELLED: Failed to read message.} and the
   * exception as cause: unlike {@link #of}, this rejected update costs the stream. Empty for any
   * other error.
   */
  static Optional<InvalidSvidException> lostStreamTo(Throwable error) {
    // By name and message, as describe() in WorkloadApiSvidSource: gRPC is java-spiffe's runtime
    // dependency, not on this module's compile path. Its getCause() is the status's cause.
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (!t.getClass().getSimpleName().equals("StatusRuntimeException")) {
        continue;
      }
      Throwable thrown = t.getCause();
      if (!FAILED_TO_READ.equals(t.getMessage()) || thrown == null) {
        return Optional.empty();
      }
      InvalidSvidException.Reason reason = thrown instanceof InvalidSpiffeIdException
          ? InvalidSvidException.Reason.MALFORMED_SPIFFE_ID
          : InvalidSvidException.Reason.MALFORMED_UPDATE;
      return Optional.of(new InvalidSvidException(reason, "java-spiffe cannot decode the update: "
          + causes(thrown) + " (it threw, so gRPC closed the stream; the SPIRE Agent will send it"
          + " again on the next stream until it sends another)", error));
    }
    return Optional.empty();
  }

  private static InvalidSvidException.Reason reason(String causes) {
    if (causes.contains("response from the Workload API is empty")) {
      return InvalidSvidException.Reason.NO_SVID;
    }
    if (causes.contains("Certificate could not be parsed") || causes.contains("No certificates found")) {
      return InvalidSvidException.Reason.MALFORMED_CERTIFICATE;
    }
    if (causes.contains("Private Key could not be parsed")) {
      return InvalidSvidException.Reason.MALFORMED_KEY;
    }
    if (causes.contains("Bundles could not be processed")) {
      return InvalidSvidException.Reason.MALFORMED_BUNDLE;
    }
    if (causes.contains("must contain exactly one URI SAN")) {
      return InvalidSvidException.Reason.NOT_ONE_URI_SAN;
    }
    if (causes.contains("contains multiple SPIFFE IDs")) {
      return InvalidSvidException.Reason.MULTIPLE_URI_SANS;
    }
    if (causes.contains("does not contain SPIFFE ID")) {
      return InvalidSvidException.Reason.NO_URI_SAN;
    }
    if (causes.contains("Leaf certificate must not have CA flag")) {
      return InvalidSvidException.Reason.LEAF_IS_CA;
    }
    if (causes.contains("Leaf certificate must not have 'keyCertSign'")) {
      return InvalidSvidException.Reason.LEAF_HAS_KEY_CERT_SIGN;
    }
    if (causes.contains("Leaf certificate must not have 'cRLSign'")) {
      return InvalidSvidException.Reason.LEAF_HAS_CRL_SIGN;
    }
    if (causes.contains("Leaf certificate must have 'digitalSignature'")) {
      return InvalidSvidException.Reason.LEAF_LACKS_DIGITAL_SIGNATURE;
    }
    return InvalidSvidException.Reason.MALFORMED_UPDATE;
  }

  /** The distinct messages of the cause chain, outermost first: java-spiffe repeats itself. */
  private static String causes(Throwable cause) {
    List<String> messages = new ArrayList<>();
    for (Throwable t = cause; t != null && messages.size() < 6; t = t.getCause()) {
      String raw = t.getMessage();
      if (raw == null || raw.isBlank()) {
        continue;
      }
      String message = raw.strip();
      if (messages.stream().noneMatch(m -> m.contains(message))) {
        messages.add(message);
      }
    }
    String joined = messages.isEmpty() ? "no reason given" : String.join(": ", messages);
    return joined.length() <= MAX_MESSAGE ? joined : joined.substring(0, MAX_MESSAGE) + "...";
  }
}
