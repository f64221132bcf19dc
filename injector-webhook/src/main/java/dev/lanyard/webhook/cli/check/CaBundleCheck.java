package dev.lanyard.webhook.cli.check;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The {@code caBundle} the API server verifies the webhook's serving certificate with: PEM
 * certificates, all valid now and for at least {@code minRemaining} more. When it expires, every
 * pod creation in a labelled namespace fails (failurePolicy Fail) or goes uninjected (Ignore).
 */
public final class CaBundleCheck {
  private CaBundleCheck() {}

  /**
   * @param where {@code MutatingWebhookConfiguration NAME, webhook W}
   * @param caBundle the decoded field (PEM text), empty when not set
   */
  public static CheckResult check(
      String where, byte[] caBundle, Instant now, Duration minRemaining) {
    String subject = "caBundle of " + where;
    String renew =
        "renew the webhook's CA: helm upgrade regenerates it with tls.mode=helm (delete the"
            + " Secret first), cert-manager does it with tls.mode=certManager";
    if (caBundle == null || caBundle.length == 0) {
      return CheckResult.fail(
          subject,
          "empty: the API server cannot verify the webhook",
          "set tls.mode=certManager (its CA injector fills it) or reinstall with tls.mode=helm");
    }
    List<X509Certificate> certificates;
    try {
      Collection<? extends java.security.cert.Certificate> parsed =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(caBundle));
      certificates = parsed.stream().map(X509Certificate.class::cast).toList();
    } catch (CertificateException e) {
      return CheckResult.fail(subject, "not PEM X.509 certificates: " + e.getMessage(), renew);
    }
    if (certificates.isEmpty()) {
      return CheckResult.fail(subject, "holds no certificate", renew);
    }
    X509Certificate first =
        certificates.stream()
            .min(Comparator.comparing(X509Certificate::getNotAfter))
            .orElseThrow();
    Instant notAfter = first.getNotAfter().toInstant();
    String name = first.getSubjectX500Principal().getName();
    if (now.isBefore(first.getNotBefore().toInstant())) {
      return CheckResult.fail(
          subject,
          name + " is not valid before " + first.getNotBefore().toInstant(),
          "check the clocks of the machine that issued it, or " + renew);
    }
    if (!now.isBefore(notAfter)) {
      return CheckResult.fail(subject, name + " expired at " + notAfter, renew);
    }
    Duration left = Duration.between(now, notAfter);
    if (left.compareTo(minRemaining) < 0) {
      return CheckResult.fail(
          subject,
          name + " expires at " + notAfter + ", in " + Durations.human(left)
              + " (less than " + Durations.human(minRemaining) + ")",
          renew);
    }
    return CheckResult.pass(
        subject + ": " + name + " valid until " + notAfter + " (" + Durations.human(left) + ")");
  }
}
