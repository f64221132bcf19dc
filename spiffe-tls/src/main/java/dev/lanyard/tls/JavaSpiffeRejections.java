package dev.lanyard.tls;

import io.spiffe.exception.InvalidSpiffeIdException;
import java.util.ArrayList;
import java.util.List;

/**
 * Names what java-spiffe's parsers refused in an X.509-SVID update.
 *
 * <p>{@link WorkloadApiUpdates} decodes each {@code X509SVIDResponse} with java-spiffe's parsers;
 * when one fails (an empty SVID list, bytes that are not DER, a key it cannot read, a leaf that is
 * a CA or has two URI SANs, a SPIFFE ID it cannot parse) the update is rejected, logged and
 * counted like one Lanyard's own validator rejects, and the stream, the last good SVID and the
 * backoff are kept.
 *
 * <p>java-spiffe 0.8.17's messages are mapped to {@link InvalidSvidException.Reason}s;
 * WorkloadApiBadUpdatesTest feeds each kind of update through Lanyard's client from a Workload API
 * double, so a change of wording in a java-spiffe upgrade fails a test instead of a label.
 */
final class JavaSpiffeRejections {
  private static final int MAX_MESSAGE = 400;

  private JavaSpiffeRejections() {}

  /** The rejection of an update java-spiffe's parsers refused with {@code error}. */
  static InvalidSvidException decodingFailed(Exception error) {
    String causes = causes(error);
    InvalidSvidException.Reason reason = error instanceof InvalidSpiffeIdException
        ? InvalidSvidException.Reason.MALFORMED_SPIFFE_ID : reason(causes);
    return new InvalidSvidException(reason, "java-spiffe cannot decode the update: " + causes, error);
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
