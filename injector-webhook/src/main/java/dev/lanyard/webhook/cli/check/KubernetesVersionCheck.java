package dev.lanyard.webhook.cli.check;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API server's version: the injected sidecar is a native sidecar (an init container with
 * {@code restartPolicy: Always}), on by default from Kubernetes 1.29; the chart's {@code
 * kubeVersion} says the same.
 */
public final class KubernetesVersionCheck {
  public static final int MIN_MAJOR = 1;
  public static final int MIN_MINOR = 29;
  /** Providers write "29+" for the minor; the digits are what counts. */
  private static final Pattern LEADING_DIGITS = Pattern.compile("^(\\d+)");

  private KubernetesVersionCheck() {}

  /** From {@code /version}'s {@code major}, {@code minor} and {@code gitVersion}. */
  public static CheckResult check(String major, String minor, String gitVersion) {
    String shown = gitVersion == null || gitVersion.isBlank() ? major + "." + minor : gitVersion;
    Integer majorNumber = number(major);
    Integer minorNumber = number(minor);
    if (majorNumber == null || minorNumber == null) {
      return CheckResult.fail(
          "Kubernetes version",
          "the API server reports major \"" + major + "\", minor \"" + minor + "\", not numbers",
          "check that the kubeconfig points at a Kubernetes API server (kubectl version)");
    }
    boolean recent =
        majorNumber > MIN_MAJOR || (majorNumber == MIN_MAJOR && minorNumber >= MIN_MINOR);
    String need = "native sidecars need " + MIN_MAJOR + "." + MIN_MINOR + "+";
    return recent
        ? CheckResult.pass("Kubernetes " + shown + " (" + need + ")")
        : CheckResult.fail(
            "Kubernetes " + shown,
            need + " (the injected sidecar is an init container with restartPolicy Always)",
            "upgrade the control plane and nodes to Kubernetes "
                + MIN_MAJOR
                + "."
                + MIN_MINOR
                + " or later");
  }

  private static Integer number(String text) {
    if (text == null) {
      return null;
    }
    Matcher digits = LEADING_DIGITS.matcher(text);
    return digits.find() ? Integer.valueOf(digits.group(1)) : null;
  }
}
